"""Ownership check: order number and phone tail, in any order, three tries per
conversation; or a signed-in customer's own orders, by button, with no tail."""

import asyncio

import pytest

from actions.verification import ActionAskOrderId, ValidateOrderVerificationForm, verified_order
from mall import support
from mall.catalog import money
from mall.identity import checked_metadata
from mall.ownership import LOCK_AFTER_CLIENTS
from tests.support import entity, form_turn, run, signed_in, tracker

FORM = "order_verification_form"
UNPAID, OTHER_OWNER = "5201121000000001", "5201121000000006"


OWNER = "customer-1234"  # the demo customer who owns UNPAID (phone 13800001234), not OTHER_OWNER


def validate(domain, before, extracted, entities=(), metadata=None, sender="customer-1"):
    turn = form_turn(FORM, before, extracted, entities=entities, metadata=metadata, sender=sender)
    return run(ValidateOrderVerificationForm(), turn, domain)


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


def test_an_unknown_order_number_is_answered_like_a_wrong_tail(store, domain):
    """No order-number oracle: the tail is asked for whether the order exists or not, and
    the answer after it is the same."""
    unknown = validate(domain, {}, {"order_id": "5201121000000099"})
    real = validate(domain, {}, {"order_id": OTHER_OWNER}, sender="customer-2")
    assert unknown.responses == real.responses == [] and unknown.slots == {"order_id": "5201121000000099"}
    tail = [entity("phone_tail", "1234")]
    unknown = validate(domain, {"order_id": "5201121000000099"}, {"phone_tail": "1234"}, tail)
    real = validate(domain, {"order_id": OTHER_OWNER}, {"phone_tail": "1234"}, tail, sender="customer-2")
    assert unknown.responses == real.responses == ["utter_order_no_match"]
    assert unknown.messages == real.messages


@pytest.mark.parametrize("bad", ["12", "12345", "abcd", "１２3"])
def test_tail_must_be_four_digits(store, domain, bad):
    result = validate(domain, {"order_id": UNPAID}, {"phone_tail": bad})
    assert result.responses == ["utter_phone_tail_invalid"] and result.slots["phone_tail"] is None


def test_wrong_tail_three_times_stops_asking(store, domain):
    slots = {"order_id": UNPAID}
    for tries_left in (2, 1):
        result = validate(domain, slots, {"phone_tail": "0000"}, [entity("phone_tail", "0000")])
        assert result.responses == ["utter_order_no_match"]
        assert result.messages[0]["tries_left"] == tries_left
        assert result.slots["phone_tail"] is None and result.slots["verified_order_id"] is None
    final = validate(domain, slots, {"phone_tail": "0000"}, [entity("phone_tail", "0000")])
    assert final.responses == ["utter_verification_failed_final"]
    assert final.slots["verification_failed"] is True and final.slots["requested_slot"] is None
    assert store.ownership.recent_failures(UNPAID) == 3


def test_a_restart_gives_no_new_tries(store, domain):
    """A typed /restart clears every slot; the tries are counted in the database."""
    for tail in ("1111", "2222", "3333"):
        validate(domain, {"order_id": UNPAID}, {"phone_tail": tail}, [entity("phone_tail", tail)])
    after_restart = validate(domain, {}, {"order_id": UNPAID, "phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert after_restart.slots["requested_slot"] is None and "verified_order_id" not in after_restart.slots


def test_someone_elses_order_is_not_verified(store, domain):
    result = validate(domain, {}, {"order_id": OTHER_OWNER, "phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.responses == ["utter_order_no_match"]
    assert result.slots.get("verified_order_id") is None


def test_tail_proved_for_another_order_is_asked_again_without_counting(store, domain):
    verified_before = {"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID}
    result = validate(domain, verified_before, {"order_id": OTHER_OWNER})
    assert result.slots["order_id"] == OTHER_OWNER
    assert result.slots["phone_tail"] is None and result.slots["verified_order_id"] is None
    assert result.responses == []
    assert store.ownership.tries_left("customer-1") == 3


def test_same_owner_other_order_is_verified_with_the_known_tail(store, domain):
    verified_before = {"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID}
    result = validate(domain, verified_before, {"order_id": "5201121000000002"})
    assert result.slots["verified_order_id"] == "5201121000000002"


def test_locked_order_offers_a_human(store, domain):
    for i in range(LOCK_AFTER_CLIENTS):
        store.ownership.verify(UNPAID, "0000", f"someone-{i}", client=f"client-{i}")
    result = validate(domain, {"order_id": UNPAID}, {"phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.responses == ["utter_order_locked"]
    assert result.slots["verification_failed"] is True and result.slots["verified_order_id"] is None


def test_database_failure_apologises_and_keeps_nothing_unvalidated(store, domain, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OSError("database is locked")

    monkeypatch.setattr(type(store.orders), "get", unavailable)
    result = validate(domain, {"order_id": UNPAID}, {"phone_tail": "1234"}, [entity("phone_tail", "1234")])
    assert result.responses == [support.APOLOGY_RESPONSE]
    assert result.slots == {"phone_tail": None}


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
    assert store.ownership.recent_failures(UNPAID) == store.ownership.recent_failures(OTHER_OWNER) == 0
    question = run(ActionAskOrderId(), tracker(text="两个订单", entities=named), domain)
    assert question.responses == ["utter_which_order"]
    assert [b["title"] for b in question.messages[0]["buttons"]] == [UNPAID, OTHER_OWNER]
    assert run(ActionAskOrderId(), tracker(text="改支付方式"), domain).responses == ["utter_ask_order_id"]


# -- signed in (the token was checked by the channel: mall.identity) ------------------------


def test_a_signed_in_customer_picks_one_of_their_open_orders(store, domain):
    question = run(ActionAskOrderId(), tracker(text="改支付方式", metadata=signed_in(OWNER)), domain)
    assert question.responses == ["utter_pick_your_order"]
    buttons = {button["payload"]: button["title"] for button in question.messages[0]["buttons"]}
    assert buttons == {  # item, amount, status; not the completed order, nor anyone else's
        f'/inform{{"order_id":"{UNPAID}"}}': f"Xiaomi 14 12GB+256GB · {money(3999)} · 待支付",
        '/inform{"order_id":"5201121000000002"}': f"Redmi Book Pro 15 · {money(5499)} · 已支付",
    }


def test_a_chosen_order_of_ones_own_needs_no_phone_tail(store, domain):
    result = validate(domain, {}, {"order_id": UNPAID}, metadata=signed_in(OWNER))
    assert result.slots["verified_order_id"] == UNPAID and result.responses == []
    form = ValidateOrderVerificationForm()
    turn = form_turn(FORM, {"verified_order_id": UNPAID}, {"order_id": UNPAID}, metadata=signed_in(OWNER))
    assert "phone_tail" not in asyncio.run(form.required_slots(["order_id", "phone_tail"], None, turn, domain))
    assert verified_order(tracker({"order_id": UNPAID, "verified_order_id": UNPAID}, metadata=signed_in(OWNER)))


def test_someone_elses_order_is_answered_like_an_unknown_one_when_signed_in(store, domain):
    foreign = validate(domain, {}, {"order_id": OTHER_OWNER}, metadata=signed_in(OWNER))
    unknown = validate(domain, {}, {"order_id": "5201121000000099"}, metadata=signed_in(OWNER))
    assert foreign.responses == unknown.responses == ["utter_order_not_found"]
    assert foreign.messages == unknown.messages and foreign.slots == {**unknown.slots}
    assert foreign.slots["order_id"] is None


def test_an_expired_or_signed_out_customer_is_back_to_the_phone_tail(store, domain):
    slots = {"order_id": UNPAID, "verified_order_id": UNPAID}
    assert verified_order(tracker(slots, metadata=signed_in(OWNER, seconds=-1))) is None
    assert verified_order(tracker(slots)) is None  # signed out: the next message has no token
    question = run(ActionAskOrderId(), tracker(text="改支付方式", metadata=signed_in(OWNER, seconds=-1)), domain)
    assert question.responses == ["utter_ask_order_id"]


def test_identity_comes_only_from_what_the_channel_checked(store, domain):
    """What a client can put in a message (a slot, an entity, its own metadata) names nobody."""
    forged = checked_metadata({"mall": {"customer_id": OWNER, "expires_at": 9e9}, "customer_id": OWNER})
    question = run(ActionAskOrderId(), tracker(text="改支付方式", metadata=forged), domain)
    assert question.responses == ["utter_ask_order_id"]
    typed = tracker(
        {"order_id": UNPAID, "verified_order_id": UNPAID, "customer_id": OWNER},
        entities=[entity("customer_id", OWNER)],
        metadata=forged,
    )
    assert verified_order(typed) is None
