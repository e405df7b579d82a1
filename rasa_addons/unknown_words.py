"""Sends messages made only of words never seen in training to the fallback.

Intent classifiers are confident about almost anything, keyboard mashing ("asdkjh qwe")
included, so no confidence threshold separates it from real questions.
A message with words but not one known word is not understood, whatever the classifier says.
Digits, emoji and punctuation are not words here: "1234" still answers a question and "👍"
still says yes. A message of punctuation alone ("???", "。。。") says nothing the bot can
act on, though the classifier confidently reads "???" as a question to the bot.

Customers stretch words ("hiii", "heloo", "thanksss", "byee"): a Latin word also counts as known
when, with every run of one letter squeezed to a single letter, it is a known word squeezed the
same way and at least MIN_SQUEEZED letters long ("helo" is "hello"). Shorter forms stay unknown,
so "aaaaaaaa", "zzzzzz" and "hmmmmm" still are not understood. In cross-validation on the
training data this kept real greetings out of the fallback and let no message of
tests/nlu/not_understood.txt through (docs/DATA.md, "Second sample").
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from mall.outcomes import NOT_UNDERSTOOD
from rasa_addons.fingerprints import source_fingerprint

_WORD = re.compile(r"[A-Za-z\u3400-\u9fff]")
_RUN = re.compile(r"([a-z])\1+")
MIN_SQUEEZED = 3


def squeezed(word: Text) -> Optional[Text]:
    """The word with runs of a repeated Latin letter made one, if that leaves MIN_SQUEEZED+ characters."""
    if not word.isascii():
        return None
    short = _RUN.sub(r"\1", word)
    return short if len(short) >= MIN_SQUEEZED else None


def words(message: Message) -> List[Text]:
    return [token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or [] if _WORD.search(token.text)]


def punctuation_only(text: Text) -> bool:
    visible = [char for char in text if not char.isspace()]
    return bool(visible) and all(unicodedata.category(char).startswith("P") for char in visible)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsFallback(GraphComponent):
    """Place after the intent classifier and FallbackClassifier."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls)

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: Optional[Set[Text]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or set()
        self._squeezed = {s for s in map(squeezed, self.vocabulary) if s}

    def known(self, word: Text) -> bool:
        return word in self.vocabulary or squeezed(word) in self._squeezed

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsFallback:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = {word for example in training_data.intent_examples for word in words(example)}
        self._squeezed = {s for s in map(squeezed, self.vocabulary) if s}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(sorted(self.vocabulary), ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsFallback:
        with model_storage.read_from(resource) as directory:
            vocabulary = set(json.loads((directory / "vocabulary.json").read_text()))
        return cls(model_storage, resource, vocabulary)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = words(message)
            already_fallback = (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == NOT_UNDERSTOOD
            unknown = found and self.vocabulary and not any(self.known(w) for w in found)
            if not already_fallback and (unknown or punctuation_only(message.get(TEXT) or "")):
                fallback = {INTENT_NAME_KEY: NOT_UNDERSTOOD, "confidence": 1.0}
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
        return messages
