"""Every reply exists in Chinese and English, with the same facts and buttons."""

import re
from pathlib import Path

import pytest

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
        assert not CJK.search(en[0]["text"].replace("去结算", "").replace("分期付款", "").replace("我的订单", "")), \
            f"{name}: English variation contains Chinese beyond the checkout labels"


def test_both_languages_show_the_same_facts_and_buttons(domain):
    for name in domain["responses"]:
        (zh,), (en,) = variations(domain, name)
        assert placeholders(zh) == placeholders(en), name
        assert all(v.endswith("_zh") for v in language_specific(zh)), name
        assert all(v.endswith("_en") for v in language_specific(en)), name
        assert [b["payload"] for b in zh.get("buttons", [])] == [b["payload"] for b in en.get("buttons", [])], name


def test_responses_uttered_by_code_exist(domain):
    named = set()
    for source in [*(ROOT / "actions").glob("*.py"), *(ROOT / "webapp").glob("*.py"),
                   *(ROOT / "rasa_addons").glob("*.py")]:
        named |= set(re.findall(r"[\"'](utter_\w+)[\"']", source.read_text()))
    assert named and named <= set(domain["responses"])


@pytest.mark.parametrize("name", ["utter_handoff_agent_joins", "utter_handoff_ticket_created",
                                  "utter_technical_problem", "utter_service_unavailable"])
def test_customers_always_get_the_hotline(domain, name):
    for variation in domain["responses"][name]:
        assert "400-100-5678" in variation["text"]


def test_no_phone_number_placeholder_is_ever_shown_unmasked(domain):
    for name in domain["responses"]:
        for variation in domain["responses"][name]:
            assert "{phone_tail}" not in variation["text"]
