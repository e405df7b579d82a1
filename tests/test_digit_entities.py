"""Order numbers and phone tails are found by pattern, also inside Chinese text."""

import pytest

from rasa_addons.digit_entities import find_digit_entities


def found(text):
    return [(e["entity"], e["value"]) for e in find_digit_entities(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("订单5201121000000001怎么改支付方式", [("order_id", "5201121000000001")]),
        ("order 5201 1210 0000 0006 pls", [("order_id", "5201121000000006")]),
        ("５２０１１２１００００００００８", [("order_id", "5201121000000008")]),
        ("尾号1234", [("phone_tail", "1234")]),
        ("my phone is 13800001234", [("phone_tail", "1234")]),
        ("订单号5201121000000001，手机后四位1234", [("order_id", "5201121000000001"), ("phone_tail", "1234")]),
        ("我2024年买的", []),
        ("花了3999元", []),
        ("¥3999", []),
        ("12期", []),
        ("52011210000000011", []),  # 17 digits: not an order number
        ("520112100000000", []),  # 15 digits
        ("' OR 1=1 --", []),
    ],
)
def test_digit_entities(text, expected):
    assert found(text) == expected


def test_spans_point_at_the_digits():
    text = "订单5201121000000001改成支付宝"
    entity = find_digit_entities(text)[0]
    assert text[entity["start"] : entity["end"]] == "5201121000000001"
