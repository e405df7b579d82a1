"""The response generator answers in the language of the customer's latest message."""

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from mall import settings
from rasa_addons.nlg import BilingualNLG
from tests.support import assistant_domain

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def nlg(tmp_path_factory):
    """On an order store of its own: the replies list the plans in the store."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.ORDERS_DB_ENV, str(tmp_path_factory.mktemp("nlg") / "orders.db"))
        domain = assistant_domain()
        yield BilingualNLG(domain=domain), domain


def reply(nlg_and_domain, *messages, **kwargs):
    generator, domain = nlg_and_domain
    events = []
    for text, metadata in messages:
        events += [ActionExecuted("action_listen"), UserUttered(text, metadata=metadata)]
    tracker = DialogueStateTracker.from_events("t", events, slots=domain.slots)
    return asyncio.run(generator.generate("utter_ask_order_id", tracker, "rest", **kwargs))["text"]


def test_chinese_message_gets_chinese(nlg):
    assert "订单号" in reply(nlg, ("我想换支付方式", None))


def test_english_message_gets_english(nlg):
    assert "order number" in reply(nlg, ("I want to change my payment method", None))


def test_switching_mid_conversation(nlg):
    assert "order number" in reply(nlg, ("你好", None), ("actually, english please", None))
    assert "订单号" in reply(nlg, ("hello", None), ("还是说中文吧", None))


def test_digits_keep_the_current_language(nlg):
    assert "order number" in reply(nlg, ("change payment method", None), ("5201121000000001", None))


def test_widget_page_language_before_any_words(nlg):
    assert "order number" in reply(nlg, ("/greet", {"language": "en"}))
    assert "订单号" in reply(nlg, ("/greet", {"language": "zh-CN"}))


def test_no_reply_shows_a_full_mobile_number(nlg):
    generator, domain = nlg
    tracker = DialogueStateTracker.from_events("t", [UserUttered("查订单")], slots=domain.slots)
    variables = {"order_id": "5201121000000002", "items": "+86 138 0000 1234", "total": "¥1", "status_zh": "已支付"}
    response = asyncio.run(generator.generate("utter_order_paid_change", tracker, "rest", **variables))
    assert "138 **** 1234" in response["text"] and "138 0000" not in response["text"]
