"""Ownership check: order number and phone tail, in any order, three tries each."""

import pytest

from actions.verification import ActionAskOrderId, ValidateOrderVerificationForm, verified_order
from mall.store import LOCK_AFTER_FAILURES
from tests.support import entity, form_turn, run, tracker

FORM = "order_verification_form"
UNPAID, OTHER_OWNER = "5201121000000001", "5201121000000006"


def validate(domain, before, extracted, entities=()):
    return run(ValidateOrderVerificationForm(), form_turn(FORM, before, extracted, entities=entities), domain)


def test_order_number_and_tail_in_one_message_verify(store, domain):
    result = validate(domain, {}, {"order_id": UNPAID, "phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.slots["verified_order_id"] == UNPAID
    assert result.slots["phone_tail"] == "1234" and result.responses == []


def test_tail_before_order_number_is_checked_when_the_number_arrives(store, domain):
    first = validate(domain, {}, {"phone_tail": "1234"})
    assert first.slots == {"phone_tail": "1234"} and first.responses == []
    second = validate(domain, {"phone_tail": "1234"}, {"order_id": UNPAID})
    assert second.slots["verified_order_id"] == UNPAID


@pytest.mark.parametrize(
    "bad", ["52011210000000", "' OR 1=1 --", "abcdabcdabcdabcd", ["5201121000000001", "5201121000000006"]]
)
def test_malformed_order_number_is_asked_again(store, domain, bad):
    result = validate(domain, {}, {"order_id": bad})
    assert result.slots["order_id"] is None
    assert result.responses == ["utter_order_id_invalid"]
    assert "order_misses" not in result.slots


def test_unknown_order_three_times_offers_a_human(store, domain):
    misses = {}
    for attempt in (1, 2):
        result = validate(domain, misses, {"order_id": "5201121000000099"})
        assert result.responses == ["utter_order_not_found"]
        assert result.messages[0]["tries_left"] == 3 - attempt
        misses = {"order_misses": result.slots["order_misses"]}
    final = validate(domain, misses, {"order_id": "5201121000000099"})
    assert final.responses == ["utter_order_not_found_final"]
    assert final.slots["verification_failed"] is True and final.slots["requested_slot"] is None


@pytest.mark.parametrize("bad", ["12", "12345", "abcd", "１２3"])
def test_tail_must_be_four_digits(store, domain, bad):
    result = validate(domain, {"order_id": UNPAID}, {"phone_tail": bad})
    assert result.responses == ["utter_phone_tail_invalid"] and result.slots["phone_tail"] is None


def test_wrong_tail_three_times_stops_asking(store, domain):
    slots = {"order_id": UNPAID}
    for tries_left in (2, 1):
        result = validate(domain, slots, {"phone_tail": "0000"}, [entity("phone_tail", "0000")])
        assert result.responses == ["utter_phone_tail_mismatch"]
        assert result.messages[0]["tries_left"] == tries_left
        assert result.slots["phone_tail"] is None and result.slots["verified_order_id"] is None
        slots = {**slots, "verify_failures": result.slots["verify_failures"]}
    final = validate(domain, slots, {"phone_tail": "0000"}, [entity("phone_tail", "0000")])
    assert final.responses == ["utter_verification_failed_final"]
    assert final.slots["verification_failed"] is True and final.slots["requested_slot"] is None
    assert store.recent_failures(UNPAID) == 3


def test_someone_elses_order_is_not_verified(store, domain):
    result = validate(domain, {}, {"order_id": OTHER_OWNER, "phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.responses == ["utter_phone_tail_mismatch"]
    assert result.slots.get("verified_order_id") is None


def test_tail_proved_for_another_order_is_asked_again_without_counting(store, domain):
    verified_before = {"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID}
    result = validate(domain, verified_before, {"order_id": OTHER_OWNER})
    assert result.slots["order_id"] == OTHER_OWNER
    assert result.slots["phone_tail"] is None and result.slots["verified_order_id"] is None
    assert result.responses == [] and "verify_failures" not in result.slots
    assert store.recent_failures(OTHER_OWNER) == 0


def test_same_owner_other_order_is_verified_with_the_known_tail(store, domain):
    verified_before = {"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID}
    result = validate(domain, verified_before, {"order_id": "5201121000000002"})
    assert result.slots["verified_order_id"] == "5201121000000002"


def test_locked_order_offers_a_human(store, domain):
    for i in range(LOCK_AFTER_FAILURES):
        store.verify_owner(UNPAID, "0000", f"someone-{i}")
    result = validate(domain, {"order_id": UNPAID}, {"phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.responses == ["utter_order_locked"]
    assert result.slots["verification_failed"] is True and result.slots["verified_order_id"] is None


def test_database_failure_apologises_and_keeps_nothing_unvalidated(store, domain, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(type(store), "get_order", unavailable)
    result = validate(domain, {}, {"order_id": UNPAID})
    assert result.responses == ["utter_technical_problem"]
    assert result.slots == {"order_id": None}


def test_verified_order_needs_a_proved_and_still_matching_tail(store):
    assert (
        verified_order(tracker({"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID})).order_id
        == UNPAID
    )
    assert verified_order(tracker({"order_id": UNPAID, "phone_tail": "1234"})) is None
    assert verified_order(tracker({"order_id": OTHER_OWNER, "phone_tail": "1234", "verified_order_id": UNPAID})) is None
    assert (
        verified_order(tracker({"order_id": OTHER_OWNER, "phone_tail": "1234", "verified_order_id": OTHER_OWNER}))
        is None
    )


def test_no_more_questions_after_giving_up(store, domain):
    result = validate(domain, {"verification_failed": True}, {"order_id": UNPAID, "phone_tail": "1234"})
    assert result.slots["requested_slot"] is None
    assert "verified_order_id" not in result.slots


def test_two_order_numbers_at_once_are_taken_one_at_a_time(store, domain):
    """Guessing which order a tail is for could count a failed check against the wrong one."""
    named = [entity("order_id", UNPAID), entity("order_id", OTHER_OWNER)]
    result = validate(domain, {"phone_tail": "1234"}, {"order_id": OTHER_OWNER}, named)
    assert result.responses == [] and result.slots["order_id"] is None
    assert store.recent_failures(UNPAID) == store.recent_failures(OTHER_OWNER) == 0
    question = run(ActionAskOrderId(), tracker(text="两个订单", entities=named), domain)
    assert question.responses == ["utter_which_order"]
    assert [b["title"] for b in question.messages[0]["buttons"]] == [UNPAID, OTHER_OWNER]
    assert run(ActionAskOrderId(), tracker(text="改支付方式"), domain).responses == ["utter_ask_order_id"]
