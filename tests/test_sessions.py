"""Recording sessions as turns are stored (mall.sessions): once per session however the saves
go, on SQLite and PostgreSQL, through the real tracker store too."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from mall import figures
from mall.conversations import ConversationLog
from mall.sessions import sessions_of
from rasa_addons.tracker_store import WindowedTrackerStore
from tests.conversation_events import Conversation, at
from tests.support import assistant_domain

DAY = "2026-11-02"


@pytest.fixture
def log(database: str) -> Iterator[ConversationLog]:
    opened = ConversationLog(database)
    yield opened
    opened.close()


def recorded(log: ConversationLog, sender: str):
    with log.db.connection() as connection:
        return sessions_of(connection, sender)


def test_a_repeated_save_fails_whole_and_counts_nothing(log):
    talk = Conversation(log, "twice", at(DAY)).new_session().user("分期有手续费吗").bot("utter_installment_fees")
    turn = list(talk.pending)
    talk.save()
    with pytest.raises(sa.exc.IntegrityError):
        log.append("twice", 0, turn)  # another instance saving the same turn again
    [session] = recorded(log, "twice")
    assert session.messages == 1 and session.answered == 1


def test_two_instances_taking_turns_count_one_session(log, database):
    other_instance = ConversationLog(database)
    try:
        first = Conversation(log, "shared", at(DAY)).new_session().question("分期有手续费吗")
        second = Conversation(other_instance, "shared", first.now, seq=first.seq)
        second.not_understood("asdf")
        first.seq, first.now = second.seq, second.now
        first.question("怎么还款", "utter_repayment")
    finally:
        other_instance.close()
    [session] = recorded(log, "shared")
    assert (session.messages, session.fallbacks, session.language) == (3, 1, "zh")


def test_a_restart_starts_a_new_session(log):
    talk = Conversation(log, "restart", at(DAY)).new_session().question("how much are the fees")
    talk.restart().user("转人工", "request_human").save()
    old, new = recorded(log, "restart")
    assert (old.messages, old.language) == (2, "en")
    assert (new.messages, new.language, new.start_seq > old.start_seq) == (1, "zh", True)


def test_the_page_language_counts_until_a_message_has_words(log):
    widget = {"language": "en"}
    talk = Conversation(log, "digits", at(DAY)).new_session().user("5201121000000001", "inform", widget)
    talk.save()
    assert recorded(log, "digits")[0].language == "en"
    talk.user("订单怎么改支付方式", "change_payment_method").save()
    talk.user("ok thanks", "thank").save()
    assert recorded(log, "digits")[0].language == "zh"  # the first message with words decides


def test_the_real_tracker_store_records_long_conversations_and_masks_comments(tmp_path):
    store = WindowedTrackerStore(assistant_domain(), db=str(tmp_path / "c.db"))

    async def converse() -> None:
        tracker = await store.create_tracker("long")
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        await store.save(tracker)
        for number in range(60):  # well past the window: the store compacts it many times
            tracker = await store.retrieve("long")
            tracker.update(UserUttered(f"分期有手续费吗 {number}", {"name": "ask_installment_fees"}))
            tracker.update(ActionExecuted("utter_installment_fees"))
            tracker.update(BotUttered("…", metadata={"utter_action": "utter_installment_fees"}))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
        tracker = await store.retrieve("long")
        for event in (SlotSet("rating", 4), UserUttered("call me on 13800001234", {"name": "nlu_fallback"})):
            tracker.update(event)
        tracker.update(BotUttered("…", metadata={"utter_action": "utter_thank_for_comment"}))
        await store.save(tracker)
        tracker = await store.retrieve("long")
        tracker.update(Restarted())
        await store.save(tracker)

    asyncio.run(converse())
    [session] = recorded(store._log, "long")
    assert (session.messages, session.answered, session.rating) == (61, 1, 4)
    assert session.rating_comment == "call me on 138****1234"
    with store._log.db.connection() as connection:
        assert figures.figures(connection, now=9e9).as_json()["resolved"] == 1
