"""Order numbers, phone tails and prices are found by pattern, also inside Chinese text."""

import pytest

from rasa_addons.digit_entities import find_digit_entities, find_periods


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
        ("花了3999元", [("price", "3999")]),
        ("¥3999", [("price", "3999")]),
        ("12期", []),
        ("52011210000000011", [("order_id", "52011210000000011")]),  # 17: mistyped, the check says so
        ("520112100000000", [("order_id", "520112100000000")]),  # 15 digits
        ("12345678901", []),  # 11 digits, not a mobile number: nothing
        ("尾号是 5 6 7 8", [("phone_tail", "5678")]),
        ("5-6-7-8", [("phone_tail", "5678")]),
        ("1 2 3 4 5", []),
        ("my phone is 137-0000-9012", [("phone_tail", "9012")]),
        ("+86 138 0000 1234", [("phone_tail", "1234")]),
        ("8613800001234", [("phone_tail", "1234")]),
        ("' OR 1=1 --", []),
    ],
)
def test_digit_entities(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3999分12期花呗每期多少", [("price", "3999")]),
        ("how much per month if I pay 5499 by credit card over 12 months", [("price", "5499")]),
        ("三千九百九十九 分6期 每期多少", [("price", "3999")]),
        ("1.2万分24期", [("price", "12000")]),
        # a bare number is a phone tail, as the verification form needs it
        ("1234", [("phone_tail", "1234")]),
        ("3999", [("phone_tail", "3999")]),
        ("尾号1234 分12期", [("phone_tail", "1234")]),
        ("my phone ends in 3456, 8999 over 24 months", [("phone_tail", "3456"), ("price", "8999")]),
        (
            "订单5201121000000001 尾号1234 想知道3999分6期多少钱",
            [("order_id", "5201121000000001"), ("phone_tail", "1234"), ("price", "3999")],
        ),
        ("我的订单5201121000000006分24期每个月要还多少钱", [("order_id", "5201121000000006")]),
        ("order 5201 1210 0000 0006 over 24 months", [("order_id", "5201121000000006")]),
        ("pay 5201121000000001 in 12 installments", [("order_id", "5201121000000001")]),
        ("+86 138 0000 1234 价格3999", [("phone_tail", "1234"), ("price", "3999")]),
        ("小米14分12期每期多少", []),
        ("Redmi Note 13 Pro 1299元", [("price", "1299")]),
    ],
)
def test_prices_beside_order_numbers_and_phone_tails(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("每其还多少 3999 花贝 12期", [("price", "3999")]),  # typos the plan after it cannot catch
        ("那5999呢", [("price", "5999")]),
        ("3999", [("price", "3999")]),
        # an order or a phone word keeps a bare number a phone tail
        ("订单5201121000000001 1234", [("order_id", "5201121000000001"), ("phone_tail", "1234")]),
        ("尾号1234 每期多少", [("phone_tail", "1234")]),
        ("分12期 2024年买的", []),
    ],
)
def test_in_a_question_of_what_a_plan_costs_a_bare_number_is_a_price(text, expected):
    entities = find_digit_entities(text, money_asked=True)
    assert [(entity["entity"], entity["value"]) for entity in entities] == expected


def test_a_price_spans_its_sign_and_unit():
    text = "想买个¥3,999的手机"
    (entity,) = find_digit_entities(text)
    assert (text[entity["start"] : entity["end"]], entity["value"]) == ("¥3,999", "3999")


def test_spans_point_at_the_digits():
    text = "订单5201121000000001改成支付宝"
    entity = find_digit_entities(text)[0]
    assert text[entity["start"] : entity["end"]] == "5201121000000001"


@pytest.mark.parametrize(
    "text, known, expected",
    [
        ("credit card over 36 months", [], ["36"]),
        ("信用卡分36期", [], ["36"]),
        ("改成48个月", [], ["48"]),
        ("分12期", [{"entity": "installments", "start": 1, "end": 3, "value": "12"}], []),  # the CRF's
        ("24 monthly installments", [], ["24"]),
        ("花了3999元", [], []),
    ],
)
def test_periods_with_a_unit_the_crf_did_not_tag(text, known, expected):
    assert [e["value"] for e in find_periods(text, known)] == expected
