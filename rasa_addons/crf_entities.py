"""Rasa's CRF entity extractor (named in config.yml), fixed in two ways.

- Safe in several NLU threads at once: the CRF's crfsuite tagger holds the message being
  tagged between calls, so two threads tagging at once would mix their messages. Each NLU
  thread (rasa_addons.nlu_threads) gets a copy of the extractor with taggers of its own on the
  same trained model: a lock would make a short message wait for a long one's whole CRF pass.
- Training leaves its input alone: Rasa's CRF writes BILOU tags into the training messages it
  is given, which are the same objects the intent classifier and the unknown-words fallback
  train on. Whichever trained after it saw changed data, so the cache keys it stored never
  matched the next run's, and the `rasa train` after any change featurized all the data again
  to retrain them (75 s instead of 19 s; docs/BENCHMARK.md). It leaves the data as it found it.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ThreadSafeCRFEntityExtractor(CRFEntityExtractor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._per_thread = threading.local()

    def train(self, training_data: TrainingData) -> Resource:
        as_given = [(example, dict(example.data)) for example in training_data.training_examples]
        try:
            return super().train(training_data)
        finally:
            for example, data in as_given:  # the BILOU tags it wrote, and anything else, undone
                example.data = data

    def extract_entities(self, message: Message) -> List[Dict[Text, Any]]:
        if threading.current_thread() is threading.main_thread():
            return super().extract_entities(message)  # training, `rasa test`: one thread
        return CRFEntityExtractor.extract_entities(self._this_threads_copy(), message)

    def _this_threads_copy(self) -> CRFEntityExtractor:
        mine = getattr(self._per_thread, "extractor", None)
        if mine is None:
            mine = copy.copy(self)
            # A copy of a trained CRF opens a tagger of its own on the same model.
            mine.entity_taggers = {name: copy.copy(crf) for name, crf in (self.entity_taggers or {}).items()}
            self._per_thread.extractor = mine
        return mine
