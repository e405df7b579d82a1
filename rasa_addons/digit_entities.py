"""Deterministic extraction of order numbers and phone-number tails.

Digits carry no context a statistical tagger could learn from, and a half-tagged order
number is worse than none. So these two entities come only from here; the CRF owns the
others and is never trained on them (they stay unannotated in the NLU data).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.fingerprints import source_fingerprint

# Full-width digits (１２３４) are common with Chinese input methods.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# 16 digits, optionally written in groups of four ("5201 1210 0000 0001").
_ORDER_ID = re.compile(r"(?<![0-9０-９])[0-9０-９]{4}(?:[ -]?[0-9０-９]{4}){3}(?![0-9０-９])")
# A full mainland mobile number: only its last four digits are used.
_MOBILE = re.compile(r"(?<![0-9０-９])1[3-9][0-9]{9}(?![0-9０-９])")
# Exactly four digits that are not an amount, a date or a period count.
_TAIL = re.compile(
    r"(?<![0-9０-９.¥￥$])[0-9０-９]{4}(?![0-9０-９.]|\s*(?:元|块|期|个月|月|年|(?:rmb|yuan|months?)\b))",
    re.IGNORECASE,
)


def _entity(name: Text, match: re.Match, value: Text) -> Dict[Text, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_START: match.start(),
        ENTITY_ATTRIBUTE_END: match.end(),
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: DigitEntityExtractor.__name__,
    }


def find_digit_entities(text: Text) -> List[Dict[Text, Any]]:
    """Order numbers, phone tails and full mobile numbers (reduced to their tail)."""
    entities: List[Dict[Text, Any]] = []
    # Characters already part of an entity (one flag per character: a message full of
    # digit groups costs its length, not the square of its number of groups).
    taken = bytearray(len(text))
    for match in _ORDER_ID.finditer(text):
        digits = re.sub(r"[ -]", "", match.group()).translate(_FULL_WIDTH_DIGITS)
        entities.append(_entity("order_id", match, digits))
        taken[match.start() : match.end()] = b"\1" * (match.end() - match.start())
    for pattern in (_MOBILE, _TAIL):
        for match in pattern.finditer(text):
            if taken[match.start()]:
                continue
            digits = match.group().translate(_FULL_WIDTH_DIGITS)
            entities.append(_entity("phone_tail", match, digits[-4:]))
            taken[match.start() : match.end()] = b"\1" * (match.end() - match.start())
    return sorted(entities, key=lambda entity: entity[ENTITY_ATTRIBUTE_START])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DigitEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `order_id` and `phone_tail` entities found by fixed patterns."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DigitEntityExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = find_digit_entities(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
