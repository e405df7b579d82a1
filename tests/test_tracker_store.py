"""The windowed SQLite tracker store: nothing lost, bounded trackers, same dialogue state."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.tracker_store import WINDOW_KEEP_TURNS, WINDOW_MAX_EVENTS, WindowedTrackerStore
from tests.support import assistant_domain as load_domain

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ["ask_installment_fees", "greet", "thank", "ask_repayment"]


@pytest.fixture(scope="module")
def assistant_domain() -> Domain:
    return load_domain()


def turn(number: int):
    intent = INTENTS[number % len(INTENTS)]
    return [
        UserUttered(f"message {number}", {"name": intent, "confidence": 1.0}),
        ActionExecuted(f"utter_{intent}"),
        BotUttered(f"reply {number}"),
        ActionExecuted("action_listen"),
    ]


def without_timestamps(events):
    return [{key: value for key, value in event.as_dict().items() if key != "timestamp"} for event in events]


def converse(store: WindowedTrackerStore, sender: str, turns: int, extra=None) -> DialogueStateTracker:
    """Rasa's pattern per message: retrieve (or create), add the turn's events, save."""
    reference = DialogueStateTracker(sender, store.domain.slots)
    reference.update(ActionExecuted("action_listen"))

    async def run():
        for number in range(turns):
            tracker = await store.retrieve(sender) or await store.create_tracker(sender)
            new = turn(number) + (extra(number) if extra else [])
            for event in new:
                tracker.update(event)
                reference.update(event)
            await store.save(tracker)

    asyncio.run(run())
    return reference


def test_long_conversations_come_back_bounded_with_everything_kept(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    reference = converse(
        store, "long", 120, extra=lambda n: [SlotSet("order_id", f"52011210000000{n:02d}")] if n in (3, 70) else []
    )
    window = asyncio.run(store.retrieve("long"))
    full = asyncio.run(store.retrieve_full_tracker("long"))
    assert len(window.events) <= WINDOW_MAX_EVENTS + len(assistant_domain.slots) + 3
    assert without_timestamps(full.events) == without_timestamps(reference.events)
    remembered = window.current_slot_values().pop("language")
    assert {k: v for k, v in window.current_slot_values().items() if k != "language"} == {
        k: v for k, v in reference.current_slot_values().items() if k != "language"
    }
    assert remembered == "en"  # the messages that left the window were English
    assert window.get_slot("order_id") == "5201121000000070"
    assert window.latest_message.text == reference.latest_message.text
    assert sum(isinstance(e, UserUttered) for e in window.events) >= WINDOW_KEEP_TURNS


def test_policies_see_the_same_recent_states(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    reference = converse(
        store, "states", 90, extra=lambda n: [SlotSet("order_goal", "change_payment")] if n == 1 else []
    )
    window = asyncio.run(store.retrieve("states"))
    # MemoizationPolicy looks back 4 states and the longest rule spans 3 (the trained
    # RulePolicy's keys): the window must reproduce at least the last 5 exactly.
    assert window.past_states(assistant_domain)[-5:] == reference.past_states(assistant_domain)[-5:]


def test_open_form_and_pause_survive_the_window(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))

    def open_form_then_pause(number):
        if number == 2:
            return [ActiveLoop("order_verification_form"), SlotSet("requested_slot", "phone_tail")]
        return [ConversationPaused()] if number == 99 else []

    converse(store, "paused", 100, extra=open_form_then_pause)
    window = asyncio.run(WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db")).retrieve("paused"))
    assert window.active_loop_name == "order_verification_form"
    assert window.get_slot("requested_slot") == "phone_tail"
    assert window.is_paused()


def test_conversations_do_not_mix_and_survive_a_restart(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    converse(store, "a", 3)
    converse(store, "b", 5)
    reopened = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    assert sorted(asyncio.run(reopened.keys())) == ["a", "b"]
    assert [e.text for e in asyncio.run(reopened.retrieve("a")).events if isinstance(e, UserUttered)] == [
        "message 0",
        "message 1",
        "message 2",
    ]
    assert asyncio.run(reopened.retrieve("nobody")) is None


def test_a_tracker_built_elsewhere_appends_only_its_new_events(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    converse(store, "api", 2)
    full = asyncio.run(store.retrieve_full_tracker("api"))
    rebuilt = DialogueStateTracker.from_events("api", list(full.events), assistant_domain.slots)  # no window info
    rebuilt.update(BotUttered("an agent's reply"))
    asyncio.run(store.save(rebuilt))
    texts = [e.text for e in asyncio.run(store.retrieve_full_tracker("api")).events if isinstance(e, BotUttered)]
    assert texts == ["reply 0", "reply 1", "an agent's reply"]


def test_the_language_of_messages_leaving_the_window_is_remembered(tmp_path, assistant_domain):
    from rasa_addons.nlg import dialogue_language

    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))

    async def run():
        for number in range(40):
            tracker = await store.retrieve("en") or await store.create_tracker("en")
            text = "hello, I want to change my payment method" if number == 0 else ["1234", "/affirm"][number % 2]
            for event in [
                UserUttered(text, {"name": "inform", "confidence": 1.0}),
                ActionExecuted("utter_acknowledge"),
                BotUttered("ok"),
                ActionExecuted("action_listen"),
            ]:
                tracker.update(event)
            await store.save(tracker)

    asyncio.run(run())
    window = asyncio.run(store.retrieve("en"))
    assert not any(isinstance(e, UserUttered) and e.text.startswith("hello") for e in window.events)
    assert window.get_slot("language") == "en"
    assert dialogue_language(window) == "en"


def test_a_mobile_number_the_customer_typed_is_stored_masked(tmp_path, assistant_domain):
    store = WindowedTrackerStore(assistant_domain, db=str(tmp_path / "c.db"))
    tracker = DialogueStateTracker("phone", assistant_domain.slots)
    text = "我的手机是 +86 138-0000-1234"
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}, parse_data={"text": text}))
    asyncio.run(store.save(tracker))
    (event,) = store._log.events("phone")
    assert "0000" not in json.dumps(event) and "138-****-1234" in json.dumps(event)
