"""Rasa's LogisticRegressionClassifier, stored as plain arrays instead of with skops.

The intent classifier of this assistant is a logistic regression on the sparse word and
character n-gram features (no TensorFlow: DIET's graph building dominated the server's
start). Rasa persists it with skops, whose import alone scans scikit-learn for trusted
types at every start; the model is three arrays, saved here with numpy (no pickle) and
loaded at once (start-up figures: docs/BENCHMARK.md).

The classifier reads only the sentence-level features. Rasa's version asks the message for
all of them (`get_sparse_features`), which also joins every featurizer's per-token matrices
pair by pair, and then drops those (a large share of a FAQ turn's CPU: bench/findings.md).
Here the sentence matrices are joined once, in the same order, into the same row.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix, csr_matrix

from rasa_addons.fingerprints import source_fingerprint

logger = logging.getLogger(__name__)
WEIGHTS = "weights.npz"


def sentence_features(message: Message) -> List[Features]:
    """The message's sentence-level text features, sparse ones first, each group in the
    featurizers' order: the order of Rasa's get_sparse_features()[1] + get_dense_features()[1]."""
    of_sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    return [f for f in of_sentence if f.is_sparse()] + [f for f in of_sentence if f.is_dense()]


def has_sparse_sentence_features(message: Message) -> bool:
    return any(f.is_sparse() for f in sentence_features(message))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Rasa's wrapper fixes the inverse regularisation strength at sklearn's 1.0.
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"])

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls)

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's version fails on a message without features (empty or only spaces):
        such a message is not understood, and the fallback classifier says so."""
        with_features = [m for m in messages if has_sparse_sentence_features(m)]
        for message in messages:
            if message not in with_features:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if with_features:
            super().process(with_features)
        return messages

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """One row per message: its sentence features side by side (assembled from their
        entries: scipy's hstack and vstack cost more than the classifier's prediction)."""
        values: List[np.ndarray] = [np.zeros(0)]
        columns: List[np.ndarray] = [np.zeros(0, dtype=np.int32)]
        row_ends, widths, stored = [0], set(), 0
        for message in messages:
            width = 0
            for feature in sentence_features(message):
                entries = coo_matrix(feature.features)
                values.append(entries.data)
                columns.append(entries.col + width)
                width += entries.shape[1]
                stored += entries.nnz
            row_ends.append(stored)
            widths.add(width)
        if len(widths) > 1:
            raise ValueError(f"messages with different feature widths: {sorted(widths)}")
        shape = (len(messages), widths.pop() if widths else 0)
        matrix = csr_matrix((np.concatenate(values), np.concatenate(columns), row_ends), shape=shape)
        matrix.sum_duplicates()  # as converting each part to CSR does
        return matrix

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / WEIGHTS,
                coef=self.clf.coef_,
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ArrayLogisticRegressionClassifier:
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with (
                model_storage.read_from(resource) as model_dir,
                np.load(model_dir / WEIGHTS, allow_pickle=False) as weights,
            ):
                component.clf.coef_ = weights["coef"]
                component.clf.intercept_ = weights["intercept"]
                component.clf.classes_ = weights["classes"]
            component.clf.n_features_in_ = component.clf.coef_.shape[1]
        except (ValueError, FileNotFoundError):
            logger.debug("No trained intent classifier in resource '%s'.", resource.name)
        return component
