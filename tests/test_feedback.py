"""Ratings (CSAT) in the dialogue: when action_ask_rating asks, and what action_record_rating
takes (actions/feedback.py); the conversations in both languages are in
tests/test_insights_conversations.py."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from rasa_sdk import Tracker

from actions import services
from actions.feedback import ActionAskRating, ActionRecordRating
from mall.ratings import SCALE, rating_buttons
from tests.conversation_events import Conversation, at
from tests.support import entity, run, user_event


def after_reply(
    response: str,
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    sender: str = "customer-1",
    text: str = "确认",
) -> Tracker:
    """The tracker action_ask_rating gets: the customer's message, then the assistant's reply."""
    latest = user_event(text, "affirm")
    reply = {"event": "bot", "text": "…", "metadata": {"utter_action": response}}
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(sender, dict(slots or {}), latest["parse_data"], [latest, reply], False, None, loop, response)


@pytest.mark.parametrize("moment", ["utter_reorder_done", "utter_reorder_already_done", "utter_assistant_back"])
def test_asks_after_a_finished_change_and_a_closed_ticket(store, domain, moment):
    result = run(ActionAskRating(), after_reply(moment), domain)
    assert result.responses == ["utter_ask_rating"]
    assert [button["title"].split()[0] for button in result.messages[0]["buttons"]] == [str(n) for n in SCALE]
    assert result.slots == {"rating_asked": True}


def test_a_goodbye_asks_only_after_an_answer_in_the_session(store, domain):
    assert run(ActionAskRating(), after_reply("utter_goodbye", sender="no-answer"), domain).responses == []
    Conversation(services.conversation_log(), "answered", at("2026-11-02")).new_session().question("分期有手续费吗")
    assert run(ActionAskRating(), after_reply("utter_goodbye", sender="answered"), domain).responses == [
        "utter_ask_rating"
    ]


@pytest.mark.parametrize(
    "slots, loop",
    [({"rating_asked": True}, None), ({"waiting_for_agent": True}, None), ({}, "payment_change_form")],
    ids=["asked already", "waiting for an agent", "inside a form"],
)
def test_never_twice_in_a_form_or_while_waiting(store, domain, slots, loop):
    assert run(ActionAskRating(), after_reply("utter_reorder_done", slots, loop), domain).events == []


def test_other_replies_ask_nothing(store, domain):
    assert run(ActionAskRating(), after_reply("utter_installment_fees"), domain).responses == []


def rating_message(value: Any, asked: bool = True) -> Tracker:
    latest = user_event(f'/rate{{"rating":{value}}}', "rate", [entity("rating", value)])
    slots = {"rating_asked": True} if asked else {}
    return Tracker("customer-1", slots, latest["parse_data"], [latest], False, None, {}, "action_listen")


@pytest.mark.parametrize("value", [1, 5, "4", 3.0])
def test_a_rating_on_the_scale_after_the_question_is_recorded(domain, value):
    result = run(ActionRecordRating(), rating_message(value), domain)
    assert result.responses == ["utter_rating_thanks"] and result.slots == {"rating": int(float(value))}


@pytest.mark.parametrize("value, asked", [(9, True), (0, True), ("x", True), (2.5, True), (4, False)])
def test_a_typed_payload_off_the_scale_or_unasked_records_nothing(domain, value, asked):
    result = run(ActionRecordRating(), rating_message(value, asked), domain)
    assert result.responses == ["utter_rating_not_asked"] and result.events == []


def test_the_buttons_send_the_rate_intent():
    assert [button["payload"] for button in rating_buttons()] == [f'/rate{{"rating":{n}}}' for n in SCALE]
