"""Deterministic extraction of order numbers, phone-number tails, prices and unoffered periods.

Digits carry no context a statistical tagger could learn from, and a half-tagged order
number is worse than none. So order numbers, phone tails and prices come only from here; the
CRF owns payment methods and periods and is never trained on the three (they stay
unannotated in the NLU data). A number of periods written with its unit that the CRF did not
tag ("36期": it learns only the offered plans) is added here, so the bot can say it is not
offered.

A four-digit number is a phone tail unless money says it is a price ("3999分12期", "¥3999",
"pay 5499 by credit card": mall.prices decides, and has the rules), and so does the intent
(runs before this component): a question of what a plan costs that names no order is about
a price. A number is one entity only, taken in this order: order number, mobile number,
price, phone tail.
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
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from mall import prices
from rasa_addons.fingerprints import source_fingerprint

# The intent of a question of what a plan costs (data/nlu/quotes.yml).
QUOTE_INTENT = "ask_installment_quote"

# Full-width digits (１２３４) are common with Chinese input methods.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_D = "[0-9０-９]"

# 16 digits, optionally written in groups of four ("5201 1210 0000 0001").
_ORDER_ID = re.compile(rf"(?<!{_D}){_D}{{4}}(?:[ -]?{_D}{{4}}){{3}}(?!{_D})")
# A run of 12 to 20 digits that is not 16: meant as an order number, mistyped. It is
# reported as one, so the ownership check can say that an order number has 16 digits.
_LONG_NUMBER = re.compile(rf"(?<!{_D}){_D}{{12,20}}(?!{_D})")
# A full mainland mobile number: only its last four digits are used.
_MOBILE = re.compile(rf"(?<!{_D})(?:\+?86[ -]?)?1[3-9]{_D}(?:[ -]?{_D}{{4}}){{2}}(?!{_D})")
# Exactly four digits that are not an amount, a date or a period count ...
_TAIL = re.compile(
    rf"(?<![0-9０-９.¥￥$]){_D}{{4}}(?![0-9０-９.]|\s*(?:元|块|期|个月|月|年|(?:rmb|yuan|months?)\b))",
    re.IGNORECASE,
)
# ... or four digits typed one by one ("5 6 7 8").
_SPACED_TAIL = re.compile(rf"(?<!{_D})(?<!{_D}[ -]){_D}(?:[ -]{_D}){{3}}(?![ -]?{_D})")
# A number of periods with its unit ("36期", "分36期", "36 months"): the CRF learns the
# offered plans; this finds any number, so an unoffered one can be named as such.
_PERIODS = re.compile(
    rf"(?<!{_D})({_D}{{1,3}})\s*(?:期|个月|(?:monthly\s+)?(?:months?|installments?|instalments?)\b)",
    re.IGNORECASE,
)


def _entity(name: Text, start: int, end: int, value: Text) -> Dict[Text, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: DigitEntityExtractor.__name__,
    }


def _digits(text: Text) -> Text:
    return re.sub(r"[ -]", "", text).translate(_FULL_WIDTH_DIGITS)


def find_digit_entities(text: Text, money_asked: bool = False) -> List[Dict[Text, Any]]:
    """Order numbers (and mistyped ones), phone tails, full mobile numbers (reduced to
    their tail) and prices. `money_asked`: the message asks what something costs."""
    entities: List[Dict[Text, Any]] = []
    # Characters already part of an entity (one flag per character: a message full of
    # digit groups costs its length, not the square of its number of groups).
    taken = bytearray(len(text))

    def take(name: Text, start: int, end: int, value: Text) -> None:
        entities.append(_entity(name, start, end, value))
        taken[start:end] = b"\1" * (end - start)

    def find(pattern: re.Pattern, name: Text) -> None:
        for match in pattern.finditer(text):
            if not (taken[match.start()] or taken[match.end() - 1]):
                digits = _digits(match.group())
                take(name, match.start(), match.end(), digits[-4:] if name == "phone_tail" else digits)

    find(_ORDER_ID, "order_id")
    find(_MOBILE, "phone_tail")
    about_no_order = not entities  # no order number, no mobile number
    for price in prices.find_prices(text, money_asked and about_no_order):  # no overlaps: each span once
        if not any(taken[price.start : price.end]):
            take("price", price.start, price.end, price.text)
    find(_LONG_NUMBER, "order_id")
    find(_TAIL, "phone_tail")
    find(_SPACED_TAIL, "phone_tail")
    return sorted(entities, key=lambda entity: entity[ENTITY_ATTRIBUTE_START])


def find_periods(text: Text, known: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Numbers of periods written with their unit that no other extractor tagged."""
    tagged = [range(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in known if e.get(ENTITY_ATTRIBUTE_TYPE)]
    found = []
    for match in _PERIODS.finditer(text):
        if not any(match.start(1) in span or match.end(1) - 1 in span for span in tagged):
            found.append(_entity("installments", match.start(1), match.end(1), str(int(_digits(match.group(1))))))
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DigitEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `order_id`, `phone_tail` and `price` entities found by fixed patterns."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls) + source_fingerprint(prices)

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
            text = message.get(TEXT) or ""
            known = message.get(ENTITIES, [])
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            found = find_digit_entities(text, money_asked=intent == QUOTE_INTENT)
            found += find_periods(text, known + found)
            if found:
                message.set(ENTITIES, known + found, add_to_output=True)
        return messages
