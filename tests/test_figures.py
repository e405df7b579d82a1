"""Each figure's definition (mall.figures) on scripted sessions counted by hand, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Iterator

import pytest

from mall import figures, rollup, sessions
from mall.conversations import ConversationLog
from mall.figures import DEFINITIONS, RATE_DEFINITIONS, Counts, rate
from mall.sessions import every_session
from tests.conversation_events import Conversation, at

DAY1, DAY2 = "2026-11-02", "2026-11-03"
LATER = at("2026-11-05")  # every scripted session has ended by then
SIGNED_IN = {"mall": {"customer_id": "c-42", "expires_at": 9e9}}


@pytest.fixture
def log(database: str) -> Iterator[ConversationLog]:
    opened = ConversationLog(database)
    yield opened
    opened.close()


def shown(log: ConversationLog, first=None, last=None, now=LATER):
    with log.db.connection() as connection:
        return figures.figures(connection, first, last, now=now).as_json()


def play_the_week(log: ConversationLog) -> None:
    """Nine sessions with customer messages and one without, over two days (the tallies are in
    test_each_figure_as_counted_by_hand)."""
    Conversation(log, "s1", at(DAY1, 9)).new_session().question("分期有手续费吗").rate(5)
    Conversation(log, "s2", at(DAY1, 10)).new_session().question(
        "how do I pay in installments", "utter_installment_howto"
    ).not_understood("asdf qwer")
    Conversation(log, "s3", at(DAY1, 11)).new_session().start_change().verify().confirm_and_reorder().rate(
        2, "太慢了，等了好久"
    )
    Conversation(log, "s4", at(DAY2, 9)).new_session().start_change("change my payment method").verify().decline()
    Conversation(log, "s5", at(DAY2, 10)).new_session().start_change().verify("5201121000000002").handoff(
        "好的", reason="paid_order"
    )
    c6 = Conversation(log, "s6", at(DAY1, 20)).new_session().question("怎么还款", "utter_repayment")
    c6.new_session(at(DAY2, 11)).handoff("转人工", ticket="HT0002")  # s7: a ticket within 7 days of s6
    Conversation(log, "s8", at(DAY2, 12)).new_session().start_change("I want to pay with alipay instead").verify()
    empty = Conversation(log, "s9", at(DAY2, 13)).new_session()
    empty.save()
    greeting = Conversation(log, "s10", at(DAY2, 14)).new_session().user("你好呀").bot("utter_greet").listen()
    greeting.save()


def test_each_figure_as_counted_by_hand(log):
    play_the_week(log)
    result = shown(log)
    assert {key: result[key] for key in ("sessions", "contained", "handed_off", "resolved", "fallbacks")} == {
        "sessions": 9,  # s9 has no customer message
        "contained": 7,
        "handed_off": 2,  # s5 (paid order), s7 (asked)
        "resolved": 2,  # s1, s2; s3 rated 2, s4 s8 s10 reached nothing, s6 was followed by s7's ticket
        "fallbacks": 1,  # s2; s3's comment was thanked for, not missed
    }
    assert result["change_payment"] == {
        "started": 4,  # s3 s4 s5 s8
        "verified": 4,
        "confirmed": 1,
        "reordered": 1,
        "handed_off": 1,  # s5
        "abandoned": 1,  # s8 (s4 declined)
    }
    assert result["csat"] == {"responses": 2, "average": 3.5}
    assert result["by_language"]["zh"]["sessions"] == 6  # s1 s3 s5 s6 s7 s10
    assert result["by_language"]["en"]["sessions"] == 3  # s2 s4 s8
    assert result["by_language"]["en"]["change_payment"]["abandoned"] == 1
    assert result["by_language"]["zh"]["csat"] == {"responses": 2, "average": 3.5}
    assert list(result["by_day"]) == [DAY1, DAY2]
    assert result["by_day"][DAY1]["sessions"] == 4 and result["by_day"][DAY2]["sessions"] == 5
    assert result["by_day"][DAY1]["resolved"] == 2 and result["by_day"][DAY2]["handed_off"] == 2


def test_the_json_has_exactly_the_fixed_keys(log):
    play_the_week(log)
    result = shown(log)
    figure_keys = ["sessions", "contained", "handed_off", "resolved", "fallbacks", "change_payment", "csat"]
    assert list(result) == [*figure_keys, "by_language", "by_day"]
    assert list(result["change_payment"]) == [
        "started",
        "verified",
        "confirmed",
        "reordered",
        "handed_off",
        "abandoned",
    ]
    assert list(result["csat"]) == ["responses", "average"]
    for part in [*result["by_language"].values(), *result["by_day"].values()]:
        assert list(part) == figure_keys


def test_a_range_counts_the_sessions_started_in_it_and_fills_every_day(log):
    play_the_week(log)
    assert shown(log, DAY2, DAY2)["sessions"] == 5
    assert shown(log, DAY1, DAY1)["resolved"] == 2  # s6's follow-up ticket counts though it fell on DAY2
    empty_range = shown(log, "2026-10-30", "2026-11-01")
    assert empty_range["sessions"] == 0 and list(empty_range["by_day"]) == ["2026-10-30", "2026-10-31", "2026-11-01"]
    assert empty_range["csat"] == {"responses": 0, "average": None}


def test_a_session_still_going_is_not_abandoned_yet(log):
    Conversation(log, "going", at(DAY1, 9)).new_session().start_change().verify()
    assert shown(log, now=at(DAY1, 9, 10))["change_payment"]["abandoned"] == 0
    assert shown(log, now=at(DAY1, 9, 45))["change_payment"]["abandoned"] == 1


def test_a_change_the_order_does_not_allow_is_not_abandoned(log):
    talk = Conversation(log, "closed", at(DAY1, 9)).new_session().start_change()
    talk.user("5201121000000005 9012", "inform").slot("verified_order_id", "5201121000000005")
    talk.said_by_action("action_lookup_order", "utter_order_closed").listen().save()
    result = shown(log)
    assert result["change_payment"]["abandoned"] == 0 and result["resolved"] == 1  # the answer: it is cancelled


def test_a_signed_in_customers_ticket_in_another_conversation_within_7_days_unresolves(log):
    Conversation(log, "browser-1", at(DAY1, 9)).new_session().user("分期有手续费吗", metadata=SIGNED_IN).bot(
        "utter_installment_fees"
    ).listen().save()
    Conversation(log, "browser-2", at("2026-11-08", 9)).new_session().user(
        "转人工", "request_human", SIGNED_IN
    ).said_by_action("action_handoff_to_human", "utter_handoff_ticket_created").slot("handoff_ticket_id", "HT9").save()
    assert shown(log, DAY1, DAY1, now=at("2026-11-20"))["resolved"] == 0
    third = Conversation(log, "browser-3", at(DAY1, 9)).new_session().question("分期有手续费吗")
    third.new_session(at("2026-11-09", 10)).handoff("转人工")  # 8 days on
    assert shown(log, DAY1, DAY1, now=at("2026-11-20"))["resolved"] == 1  # browser-3's first session


def test_the_average_is_rounded_half_up_to_two_places(log):
    for number, score in enumerate((5, 4, 4)):
        Conversation(log, f"rated-{number}", at(DAY1, 9)).new_session().question("分期有手续费吗").rate(score)
    assert shown(log)["csat"] == {"responses": 3, "average": 4.33}
    Conversation(log, "rated-3", at(DAY1, 9)).new_session().question("分期有手续费吗").rate(4)
    Conversation(log, "rated-4", at(DAY1, 9)).new_session().question("分期有手续费吗").rate(5).rate(3)
    assert shown(log)["csat"] == {"responses": 5, "average": 4.0}  # 5 4 4 4 and rated-4's last, 3


@pytest.mark.parametrize(
    "part, whole, percent",
    [
        (7, 9, "77.8"),  # 77.777…
        (2, 9, "22.2"),  # 22.222…
        (1, 16, "6.3"),  # 6.25 exactly: half up (a float's round() gives 6.2)
        (3, 2000, "0.2"),  # 0.15 exactly: half up (0.15 is 0.1499… as a float)
        (2, 3000, "0.1"),  # 0.0666…
        (154, 200, "77.0"),  # the README's demo run
        (0, 5, "0.0"),
        (5, 5, "100.0"),
    ],
)
def test_rates_are_exact_percentages_rounded_half_up_to_one_decimal(part, whole, percent):
    assert str(rate(part, whole)) == percent
    assert rate(part, 0) is None


def test_the_rates_of_the_week(log):
    play_the_week(log)
    with log.db.connection() as connection:
        counted = figures.figures(connection, now=LATER)
    assert {key: str(value) for key, value in counted.total.rates().items()} == {
        "containment": "77.8",  # 7 contained of 9 sessions
        "resolution": "22.2",  # 2 resolved of 9
    }
    assert list(counted.total.rates()) == list(RATE_DEFINITIONS)
    assert counted.by_language["en"].rates() == {"containment": rate(3, 3), "resolution": rate(1, 3)}  # s2
    assert Counts().rates() == {"containment": None, "resolution": None}


def test_handoffs_by_reason(log):
    play_the_week(log)
    with log.db.connection() as connection:
        assert figures.handoffs_by_reason(connection) == {"customer_request": 1, "paid_order": 1}


def test_every_figure_has_its_definition():
    keys = ["sessions", "handed_off", "contained", "resolved", "fallbacks", "by_language", "by_day"]
    keys += [f"change_payment.{stage}" for stage in figures.Funnel.__dataclass_fields__]
    keys += ["csat.responses", "csat.average"]
    assert sorted(DEFINITIONS) == sorted(keys)


def test_the_running_sums_are_the_sessions_counted_again(log):
    play_the_week(log)
    with log.db.transaction() as connection:
        running = sorted(rollup.sums(connection, None, None), key=lambda row: (row["day"], row["language"]))
        rollup.recount(connection, every_session(connection))
        counted = sorted(rollup.sums(connection, None, None), key=lambda row: (row["day"], row["language"]))
    assert [row for row in running if any(row[name] for name in rollup.COUNTERS)] == counted


def test_the_answers_counted_are_responses_of_the_assistant():
    from tests.support import assistant_domain

    responses = set(assistant_domain().responses)
    assert responses >= sessions.ANSWERS
    assert {name for name in responses if name.startswith(f"utter_{sessions.ANSWER_TOPIC}_")}
    assert responses >= sessions.REORDERED | sessions.CHANGE_NOT_POSSIBLE | {sessions.COMMENT_THANKS}
