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


def _featurized(rng: np.random.Generator, tokens: int) -> Message:
    """A message with what this pipeline's featurizers give it: per-token and sentence
    matrices from several featurizers, sparse and dense."""
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import coo_matrix
    from scipy.sparse import random as sparse_random

    message = Message(data={"text": "x" * tokens})
    for origin, width in (("regex", 5), ("lexical", 7), ("words", 11), ("chars", 13)):
        for kind, rows in (("sequence", tokens), ("sentence", 1)):
            matrix = sparse_random(rows, width, density=0.4, random_state=rng, format="coo")
            if kind == "sentence":  # a featurizer may give one entry twice: the row holds the sum
                matrix = coo_matrix(
                    (np.append(matrix.data, 1.5), (np.append(matrix.row, 0), np.append(matrix.col, 0))),
                    shape=matrix.shape,
                )
            message.add_features(Features(matrix, kind, "text", origin))
    message.add_features(Features(rng.random((1, 3)), "sentence", "text", "dense"))
    return message


def test_the_feature_rows_are_those_rasa_builds():
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    rng = np.random.default_rng(1)
    messages = [_featurized(rng, tokens) for tokens in (1, 4, 9)]
    ours = ArrayLogisticRegressionClassifier._create_X(None, messages)
    rasas = LogisticRegressionClassifier._create_X(None, messages)
    assert ours.shape == rasas.shape == (3, 5 + 7 + 11 + 13 + 3)
    np.testing.assert_array_equal(ours.toarray(), rasas.toarray())
    assert ours.dtype == rasas.dtype and ours.nnz == rasas.nnz  # one stored entry per cell, as binary features need
