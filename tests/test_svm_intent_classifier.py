"""The linear SVM intent classifier: softmax confidences, the same predictions after a save and
load (numpy arrays, no pickle), and no failure on a message without features."""

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix

from rasa_addons.svm_intent_classifier import LinearSVMIntentClassifier, SoftmaxLinearSVC


def _context():
    return ExecutionContext(GraphSchema({}), node_name="intent_classifier")


def _data():
    rng = np.random.default_rng(0)
    features = csr_matrix(rng.random((60, 12)))
    labels = np.array(["greet", "goodbye", "inform"])[rng.integers(0, 3, 60)]
    return features, labels


def test_confidences_are_a_softmax_of_the_decision_values():
    features, labels = _data()
    sharp = SoftmaxLinearSVC(temperature=0.05).fit(features, labels)
    soft = SoftmaxLinearSVC(temperature=1.0).fit(features, labels)
    np.testing.assert_allclose(sharp.predict_proba(features).sum(axis=1), 1.0)
    assert (sharp.predict_proba(features).argmax(axis=1) == sharp.decision_function(features).argmax(axis=1)).all()
    assert sharp.predict_proba(features).max(axis=1).mean() > soft.predict_proba(features).max(axis=1).mean()


def test_saved_weights_predict_exactly_as_before(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("intent_classifier")
    trained = LinearSVMIntentClassifier.create({}, storage, resource, _context())
    features, labels = _data()
    trained.clf.fit(features, labels)
    trained.persist()

    loaded = LinearSVMIntentClassifier.load({}, storage, resource, _context())
    assert list(loaded.clf.classes_) == ["goodbye", "greet", "inform"]
    np.testing.assert_allclose(loaded.clf.predict_proba(features), trained.clf.predict_proba(features))
    assert not list(tmp_path.rglob("*.pkl"))


def test_a_message_without_features_is_not_understood(tmp_path):
    classifier = LinearSVMIntentClassifier.create({}, LocalModelStorage(tmp_path), Resource("c"), _context())
    (message,) = classifier.process([Message(data={"text": ""})])
    assert message.get("intent") == {"name": None, "confidence": 0.0}


def test_binary_features_count_an_ngram_once(tmp_path):
    storage = LocalModelStorage(tmp_path)
    counted = LinearSVMIntentClassifier.create({"binary": False}, storage, Resource("a"), _context())
    binary = LinearSVMIntentClassifier.create({}, storage, Resource("b"), _context())
    message = Message(data={"text": "分期分期"})
    message.add_features(Features(csr_matrix([[3.0, 1.0]]), FEATURE_TYPE_SENTENCE, "text", "featurizer"))
    np.testing.assert_allclose(binary._create_X([message]).toarray(), [[2**-0.5, 2**-0.5]])
    np.testing.assert_allclose(counted._create_X([message]).toarray(), [[3 / 10**0.5, 1 / 10**0.5]])


def test_the_configured_loss_is_the_one_trained(tmp_path):
    storage = LocalModelStorage(tmp_path)
    default = LinearSVMIntentClassifier.create({}, storage, Resource("a"), _context())
    squared = LinearSVMIntentClassifier.create({"loss": "squared_hinge"}, storage, Resource("b"), _context())
    features, labels = _data()
    default.clf.fit(features, labels)
    squared.clf.fit(features, labels)
    assert default.clf.loss == "hinge" and squared.clf.loss == "squared_hinge"
    assert not np.allclose(default.clf.coef_, squared.clf.coef_)
