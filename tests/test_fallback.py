"""Not understood: repair with the classifier's guesses, then offer a human; keep every miss."""

import json

from actions.fallback import ActionNotUnderstood
from mall import review
from tests.support import run, tracker, user_event


def unsure(text, ranking, entities=(), events=(), sender="customer-1"):
    conversation = tracker(text=text, intent="nlu_fallback", entities=entities, events=events, sender=sender)
    conversation.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.7}] + [
        {"name": name, "confidence": confidence} for name, confidence in ranking
    ]
    return conversation


def test_two_guesses_become_buttons_and_something_else(store, domain):
    ranking = [("ask_installment_fees", 0.45), ("ask_repayment", 0.38), ("greet", 0.05)]
    result = run(ActionNotUnderstood(), unsure("花呗分期要利息不 能早点还吗", ranking), domain)
    assert result.responses == ["utter_did_you_mean"]
    buttons = result.messages[0]["buttons"]
    assert [(b["title"], b["payload"]) for b in buttons] == [
        ("分期手续费", "/ask_installment_fees"),
        ("怎么还款", "/ask_repayment"),
        ("都不是", "/deny"),
    ]


def test_a_click_carries_what_the_message_said(store, domain):
    entities = [{"entity": "order_id", "value": "5201121000000006"}, {"entity": "phone_tail", "value": "9012"}]
    ranking = [("check_order_status", 0.55), ("change_payment_method", 0.30)]
    result = run(ActionNotUnderstood(), unsure("order 5201121000000006 9012 where", ranking, entities), domain)
    payloads = [b["payload"] for b in result.messages[0]["buttons"][:2]]
    assert [json.loads(p[p.index("{") :]) for p in payloads] == [
        {"order_id": "5201121000000006", "phone_tail": "9012"}
    ] * 2
    assert result.messages[0]["buttons"][0]["payload"].startswith("/check_order_status{")


def test_english_buttons_for_an_english_message(store, domain):
    result = run(ActionNotUnderstood(), unsure("fee or repay??", [("ask_installment_fees", 0.5)]), domain)
    assert [b["title"] for b in result.messages[0]["buttons"]] == ["Installment fees", "Something else"]


def test_no_plausible_guess_offers_the_main_topics(store, domain):
    result = run(ActionNotUnderstood(), unsure("asdf qwer", [("greet", 0.3), ("ask_repayment", 0.1)]), domain)
    assert result.responses == ["utter_not_understood"] and result.followup is None


def test_second_time_in_a_row_offers_a_human(store, domain):
    earlier = [user_event("asdf", "nlu_fallback"), {"event": "bot", "text": "Sorry?"}]
    result = run(ActionNotUnderstood(), unsure("qwer zxcv", [("ask_repayment", 0.4)], events=earlier), domain)
    assert result.responses == [] and result.followup == "utter_offer_human"


def test_none_of_the_guesses_then_another_miss_offers_a_human(store, domain):
    earlier = [
        user_event("fee or repay", "nlu_fallback"),
        {"event": "bot", "text": "Did you mean", "metadata": {"utter_action": "utter_did_you_mean"}},
        user_event("/deny", "deny"),
    ]
    result = run(
        ActionNotUnderstood(), unsure("the thing about the money", [("ask_repayment", 0.4)], events=earlier), domain
    )
    assert result.followup == "utter_offer_human"


def test_understood_message_in_between_resets(store, domain):
    earlier = [user_event("asdf", "nlu_fallback"), user_event("hi", "greet")]
    result = run(ActionNotUnderstood(), unsure("qwer", [], events=earlier), domain)
    assert result.responses == ["utter_not_understood"]


def test_every_miss_is_kept_masked_and_reviewed_by_nearest_intent(store, domain):
    for sender in ("a", "b"):
        run(ActionNotUnderstood(), unsure("花呗分期要利息不", [("ask_installment_fees", 0.5)], sender=sender), domain)
    run(ActionNotUnderstood(), unsure("my phone 13800001234 ???", [("greet", 0.1)]), domain)
    misses = store.misses.since()
    assert [(m.kind, m.nearest_intent) for m in misses] == [
        ("clarification", "ask_installment_fees"),
        ("clarification", "ask_installment_fees"),
        ("fallback", "greet"),
    ]
    assert all("13800001234" not in m.text for m in misses) and "138****1234" in misses[2].text
    printed = review.report(misses)
    assert printed.index("intent: ask_installment_fees") < printed.index("intent: greet")
    assert "- 花呗分期要利息不   # ×2" in printed
    assert "# 2 messages, 1 different" in printed


def test_make_review_prints_the_misses_of_the_orders_database(store, domain, capsys):
    run(ActionNotUnderstood(), unsure("花呗那个东西", [("ask_installment_howto", 0.4)]), domain)
    assert review.main([]) == 0
    printed = capsys.readouterr().out
    assert "- intent: ask_installment_howto" in printed and "- 花呗那个东西" in printed
    assert review.main(["--days", "1"]) == 0 and "花呗那个东西" in capsys.readouterr().out
