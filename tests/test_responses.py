"""Every reply exists in Chinese and English, with the same facts and buttons."""

import re
from pathlib import Path

import pytest

from mall import support
from scripts.validate_data import responses_named_in_code

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]


def variations(domain, name):
    all_variations = domain["responses"][name]
    zh = [v for v in all_variations if not v.get("condition")]
    en = [v for v in all_variations if v.get("condition") == EN_CONDITION]
    return zh, en


def placeholders(variation):
    return {re.sub(r"_(zh|en)$", "", name) for name in PLACEHOLDER.findall(variation["text"])}


def language_specific(variation):
    return {name for name in PLACEHOLDER.findall(variation["text"]) if name.endswith(("_zh", "_en"))}


def test_every_response_has_one_chinese_and_one_english_variation(domain):
    for name in domain["responses"]:
        zh, en = variations(domain, name)
        assert len(zh) == 1 and len(en) == 1, name
        assert CJK.search(zh[0]["text"]), f"{name}: default variation is not Chinese"
        assert not CJK.search(en[0]["text"].replace("去结算", "").replace("分期付款", "").replace("我的订单", "")), (
            f"{name}: English variation contains Chinese beyond the checkout labels"
        )


def test_both_languages_show_the_same_facts_and_buttons(domain):
    for name in domain["responses"]:
        (zh,), (en,) = variations(domain, name)
        assert placeholders(zh) == placeholders(en), name
        assert all(v.endswith("_zh") for v in language_specific(zh)), name
        assert all(v.endswith("_en") for v in language_specific(en)), name
        assert [b["payload"] for b in zh.get("buttons", [])] == [b["payload"] for b in en.get("buttons", [])], name


def test_responses_named_in_code_exist(domain):
    named = responses_named_in_code()
    assert named and named <= set(domain["responses"])


@pytest.mark.parametrize(
    "name",
    [
        "utter_handoff_agent_joins",
        "utter_handoff_ticket_created",
        "utter_service_unavailable",
        "utter_handoff_after_hours",
        "utter_handoff_waiting_closed",
    ],
)
def test_customers_always_get_the_hotline(domain, name):
    for variation in domain["responses"][name]:
        assert "{hotline}" in variation["text"]


def test_replies_name_the_hotline_and_hours_only_through_their_variables(domain):
    for name, variations in domain["responses"].items():
        for variation in variations:
            assert support.HOTLINE not in variation["text"] and support.agent_hours() not in variation["text"], name


def test_no_phone_number_placeholder_is_ever_shown_unmasked(domain):
    for name in domain["responses"]:
        for variation in domain["responses"][name]:
            assert "{phone_tail}" not in variation["text"]


def test_a_session_ends_after_the_idle_time_of_the_settings(domain):
    """What a phone tail proved holds for one session only (mall.settings)."""
    from mall.settings import SESSION_IDLE_MINUTES

    assert domain["session_config"]["session_expiration_time"] == SESSION_IDLE_MINUTES
    assert domain["session_config"]["carry_over_slots_to_new_session"] is False


def test_no_button_payload_in_the_responses_is_a_template(domain):
    """Rasa fills template variables in button payloads: a payload with entities
    ('/inform{"payment_method":"huabei"}') would be read as a template and logged as an error
    with the slot values. Such buttons are added by actions (actions/buttons.py)."""
    payloads = [
        button["payload"]
        for variations in domain["responses"].values()
        for variation in variations
        for button in variation.get("buttons") or []
    ]
    assert payloads and not [payload for payload in payloads if "{" in payload]
