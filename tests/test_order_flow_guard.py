"""An unsure reading as an order request, with nothing of an order in the message, is asked
about before an order dialogue starts (rasa_addons.order_flow_guard)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.order_flow_guard import NOT_UNDERSTOOD, OrderFlowGuard


def parsed(intent: str, confidence: float, entities: List[Dict[str, Any]] = ()) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "out_of_scope", "confidence": 1 - confidence}]
    return Message(
        data={
            "text": "x",
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
            "entities": list(entities),
        }
    )


def guarded(message: Message) -> Message:
    (message,) = OrderFlowGuard(0.65).process([message])
    return message


@pytest.mark.parametrize("intent", ["check_order_status", "change_payment_method", "inform"])
def test_an_unsure_order_request_without_an_order_in_it_is_asked_about(intent):
    message = guarded(parsed(intent, 0.55))
    assert message.get("intent") == {"name": NOT_UNDERSTOOD, "confidence": 0.65}
    assert [guess["name"] for guess in message.get("intent_ranking")] == [NOT_UNDERSTOOD, intent, "out_of_scope"]


@pytest.mark.parametrize("entity", ["order_id", "phone_tail", "payment_method"])
def test_something_of_an_order_in_the_message_is_enough(entity):
    message = guarded(parsed("check_order_status", 0.55, [{"entity": entity, "value": "x", "start": 0, "end": 1}]))
    assert message.get("intent")["name"] == "check_order_status"


def test_a_confident_order_request_or_another_question_is_left_alone():
    assert guarded(parsed("change_payment_method", 0.9)).get("intent")["name"] == "change_payment_method"
    assert guarded(parsed("ask_installment_fees", 0.3)).get("intent")["name"] == "ask_installment_fees"
