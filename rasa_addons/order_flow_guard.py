"""Asks before an unsure reading starts an order dialogue (named in config.yml, after the
fallbacks).

Taking an out-of-scope question ("where is my refund") for an order request costs the
customer more than a question does: the assistant asks for an order number and a phone tail
about something it cannot help with. So a message read as an order request
(mall.outcomes.ORDER_FLOW_INTENTS) with less confidence than `threshold`, and with nothing of
an order in it (no order number, phone tail or payment method), goes to the fallback like a
message not understood; the repair (actions/fallback.py) then offers the best guesses as
buttons, so a real order request costs one click. The threshold was chosen by
cross-validation on the training data together with the sentence encoder's weight (docs/DATA.md,
"Sentence encoder"): with the embedding, the out-of-scope questions read as order requests
are mostly unsure ones.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from mall.outcomes import NOT_UNDERSTOOD, ORDER_FLOW_INTENTS
from rasa_addons.fingerprints import source_fingerprint

# What makes a message about an order, whatever the classifier's confidence.
ORDER_EVIDENCE = frozenset({"order_id", "phone_tail", "payment_method"})


def is_unsure_order_request(message: Message, threshold: float) -> bool:
    intent = message.get(INTENT) or {}
    if intent.get(INTENT_NAME_KEY) not in ORDER_FLOW_INTENTS:
        return False
    if (intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= threshold:
        return False
    return not any(entity.get(ENTITY_ATTRIBUTE_TYPE) in ORDER_EVIDENCE for entity in message.get(ENTITIES) or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OrderFlowGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.75}

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
    ) -> OrderFlowGuard:
        return cls(float(config["threshold"]))

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_unsure_order_request(message, self._threshold):
                # As Rasa's FallbackClassifier marks a message: the fallback on top, the
                # classifier's ranking kept for the repair's guesses.
                fallback = {INTENT_NAME_KEY: NOT_UNDERSTOOD, PREDICTED_CONFIDENCE_KEY: self._threshold}
                message.data[INTENT] = fallback
                ranking = message.get(INTENT_RANKING_KEY) or []
                message.data[INTENT_RANKING_KEY] = [fallback, *ranking]
        return messages
