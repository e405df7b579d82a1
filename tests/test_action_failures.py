"""The revert after an outage puts the customer back where they were (rasa_addons.action_failures).

End to end, with a real action server killed and restarted: tests/test_injected_faults.py. Here the
case a kill cannot time: the form's validation passed and the next action failed.
"""

from __future__ import annotations

from typing import List

from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.action_failures import revert_latest_message
from tests.support import assistant_domain

FORM = "payment_change_form"


def at_the_confirmation() -> List[Event]:
    return [
        ActionExecuted("action_listen"),
        UserUttered("换成支付宝", intent={"name": "inform", "confidence": 0.99}),
        ActionExecuted(FORM),
        ActiveLoop(FORM),
        SlotSet("new_payment_method", "alipay"),
        SlotSet("new_installments", 1),
        SlotSet("requested_slot", "change_confirmed"),
        BotUttered("请确认"),
        ActionExecuted("action_listen"),
        UserUttered("确认", intent={"name": "affirm", "confidence": 0.99}),
        SlotSet("change_confirmed", True),  # action_extract_slots
    ]


def tracker_of(events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("revert-test", events, assistant_domain().slots)


def assert_back_at_the_confirmation(tracker: DialogueStateTracker) -> None:
    assert tracker.active_loop_name == FORM
    assert tracker.get_slot("requested_slot") == "change_confirmed"
    assert tracker.get_slot("change_confirmed") is None  # nothing unvalidated is kept
    assert tracker.get_slot("new_payment_method") == "alipay"


def test_the_form_itself_failed():
    tracker = tracker_of(at_the_confirmation())
    tracker.update_with_events(revert_latest_message(tracker, FORM), None)
    assert_back_at_the_confirmation(tracker)


def test_the_action_after_a_completed_form_failed():
    events = at_the_confirmation() + [
        ActionExecuted(FORM),
        SlotSet("change_confirmed", True),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
    ]
    # What Rasa's own revert does here: the form's happy-path run makes the replay drop
    # the "yes", so the turn before is reverted too and the form is gone.
    plain = tracker_of(events)
    plain.update(UserUtteranceReverted())
    assert plain.active_loop_name is None

    tracker = tracker_of(events)
    tracker.update_with_events(revert_latest_message(tracker, "action_cancel_and_reorder"), None)
    assert_back_at_the_confirmation(tracker)


def test_nothing_to_revert_without_a_customer_message():
    tracker = tracker_of([ActionExecuted("action_listen")])
    assert [event.type_name for event in revert_latest_message(tracker, FORM)] == ["action_execution_rejected"]
