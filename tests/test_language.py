"""Reply language: the customer's latest message with words decides."""

import pytest

from mall.language import conversation_language, message_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("你好", "zh"),
        ("hi", "en"),
        ("怎么分期付款", "zh"),
        ("how do I pay in installments", "en"),
        ("我想用 Visa 信用卡分期付款", "zh"),
        ("Redmi Note 13 Pro 怎么分期", "zh"),
        ("change to 支付宝 please", "en"),
        ("pay with 花呗", "en"),
        ("用huabei", "zh"),
        ("zhifubao", "zh"),
        ("5201121000000001", None),
        ("1234", None),
        ("👍", None),
        ("ok", None),
        ("Xiaomi 14", None),
        ('/inform{"payment_method":"alipay"}', None),
        ("", None),
        ("   ", None),
    ],
)
def test_message_language(text, expected):
    assert message_language(text) == expected


def test_digits_keep_the_language_of_the_last_worded_message():
    newest_first = [("1234", None), ("5201121000000001", None), ("change my payment method", None), ("你好", None)]
    assert conversation_language(newest_first) == "en"


def test_switching_language_switches_replies():
    assert conversation_language([("你好", None), ("hello", None)]) == "zh"


def test_page_language_applies_until_the_customer_writes_words():
    assert conversation_language([("/greet", {"language": "en-US"})]) == "en"
    assert conversation_language([("12", {"language": "en"}), ("我想分期", {"language": "en"})]) == "zh"


def test_chinese_when_nothing_says_otherwise():
    assert conversation_language([]) == "zh"
    assert conversation_language([("👍", {}), ("/greet", None)]) == "zh"


def test_language_remembered_from_before_the_dialogue_window():
    assert conversation_language([("1234", None), ("/affirm", None)], remembered="en") == "en"
    assert conversation_language([("好的", None)], remembered="en") == "zh"  # new words win
    assert conversation_language([("/greet", {"language": "zh"})], remembered="en") == "en"


def test_a_word_or_two_of_chinese_does_not_switch_an_english_conversation():
    earlier = ("how do I pay in installments", None)
    assert conversation_language([("huabei 6期", None), earlier]) == "en"
    assert conversation_language([("好", None), earlier]) == "en"
    assert conversation_language([("分12期吧", None), earlier]) == "zh"  # words, not a unit
    assert conversation_language([("huabei 6期", None)]) == "zh"  # nothing else to go by
    assert conversation_language([("6期", None), ("你好", None)], remembered="en") == "zh"
