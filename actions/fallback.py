"""Messages the assistant did not understand: repair the conversation, then offer a human.

When the classifier had a guess or two, the customer gets them as buttons ("Did you mean
…?"), and a click goes on exactly as if they had said it (the message's order number,
phone tail, price, method and periods travel in the button). With no usable guess, the main
topics. A second miss in a row (or "none of these") offers a human. Every miss is kept for
`make review`.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.services import order_store, tracker_language
from mall.language import EN
from mall.outcomes import NOT_UNDERSTOOD

# Guesses worth offering, and what their buttons say (names, not sentences).
TOPIC_LABELS: Dict[str, Tuple[str, str]] = {
    "ask_installment_howto": ("怎么分期付款", "How to pay in installments"),
    "ask_installment_options": ("有哪些分期方式", "Installment options"),
    "ask_installment_fees": ("分期手续费", "Installment fees"),
    "ask_installment_quote": ("算算每期多少钱", "Work out the monthly amount"),
    "ask_installment_review": ("付款后的审核", "The review after paying"),
    "ask_repayment": ("怎么还款", "Repaying"),
    "change_payment_method": ("更换支付方式", "Change payment method"),
    "check_order_status": ("查询订单", "Check an order"),
    "request_human": ("转人工", "Talk to a person"),
    "ask_help": ("你能帮我做什么", "What you can do"),
}
NONE_OF_THESE = ("都不是", "Something else")
NONE_OF_THESE_PAYLOAD = "/deny"
MIN_GUESS_CONFIDENCE = 0.2
MAX_GUESSES = 2
CARRIED_ENTITIES = ("order_id", "phone_tail", "price", "payment_method", "installments")
REPAIR_RESPONSES = {"utter_did_you_mean", "utter_not_understood"}


def guesses(latest_message: Dict[str, Any]) -> List[Tuple[str, float]]:
    """The classifier's ranking of the message, without the fallback itself."""
    ranking = latest_message.get("intent_ranking") or []
    return [
        (str(item.get("name")), float(item.get("confidence") or 0.0))
        for item in ranking
        if item.get("name") and item.get("name") != NOT_UNDERSTOOD
    ]


def topics_to_offer(ranked: List[Tuple[str, float]]) -> List[str]:
    """The best guesses among the topics, if they are plausible at all."""
    return [name for name, confidence in ranked if name in TOPIC_LABELS and confidence >= MIN_GUESS_CONFIDENCE][
        :MAX_GUESSES
    ]


def carried_entities(latest_message: Dict[str, Any]) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for entity in latest_message.get("entities") or []:
        if entity.get("entity") in CARRIED_ENTITIES:
            found.setdefault(entity["entity"], entity.get("value"))
    return found


def payload(intent: str, entities: Dict[str, Any]) -> str:
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False, separators=(",", ":")) if entities else "")


def _previous_user_turn(tracker: Tracker) -> Tuple[Optional[str], Optional[str]]:
    """(intent of the customer's message before the latest one, the response the bot gave
    just before that message)."""
    previous_intent: Optional[str] = None
    seen_latest = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest and previous_intent is None:
                previous_intent = (event.get("parse_data") or {}).get("intent", {}).get("name") or ""
                continue
            seen_latest = True
        elif kind == "bot" and previous_intent is not None:
            return previous_intent, (event.get("metadata") or {}).get("utter_action")
    return previous_intent, None


def is_second_miss(tracker: Tracker) -> bool:
    intent, bot_response_before = _previous_user_turn(tracker)
    return intent == NOT_UNDERSTOOD or (intent == "deny" and bot_response_before in REPAIR_RESPONSES)


class ActionNotUnderstood(Action):
    def name(self) -> str:
        return "action_not_understood"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        message = tracker.latest_message
        ranked = guesses(message)
        topics = [] if is_second_miss(tracker) else topics_to_offer(ranked)
        language = tracker_language(tracker)
        order_store().misses.record(
            tracker.sender_id,
            message.get("text") or "",
            "clarification" if topics else "fallback",
            ranked[:3],
            language,
        )
        if is_second_miss(tracker):
            # utter_offer_human runs as an action so the rule for "yes" after it applies.
            return [FollowupAction("utter_offer_human")]
        if not topics:
            dispatcher.utter_message(response="utter_not_understood")
            return []
        label = 1 if language == EN else 0
        entities = carried_entities(message)
        buttons = [{"title": TOPIC_LABELS[topic][label], "payload": payload(topic, entities)} for topic in topics]
        buttons.append({"title": NONE_OF_THESE[label], "payload": NONE_OF_THESE_PAYLOAD})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
