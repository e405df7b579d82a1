"""The array-stored logistic regression: same predictions after a save and load, and no
failure on a message without features."""

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.intent_classifier import ArrayLogisticRegressionClassifier


def test_saved_weights_predict_exactly_as_before(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    trained = ArrayLogisticRegressionClassifier.create({}, storage, resource, context)
    rng = np.random.default_rng(0)
    features = rng.random((60, 12))
    labels = np.array(["greet", "goodbye", "inform"])[rng.integers(0, 3, 60)]
    trained.clf.fit(features, labels)
    trained.persist()

    loaded = ArrayLogisticRegressionClassifier.load({}, storage, resource, context)
    assert list(loaded.clf.classes_) == ["goodbye", "greet", "inform"]
    np.testing.assert_allclose(loaded.clf.predict_proba(features), trained.clf.predict_proba(features))
    assert (tmp_path / "intent_classifier").exists() and not list(tmp_path.rglob("*.pkl"))


def test_a_message_without_features_is_not_understood(tmp_path):
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    classifier = ArrayLogisticRegressionClassifier.create({}, LocalModelStorage(tmp_path), Resource("c"), context)
    (message,) = classifier.process([Message(data={"text": ""})])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
