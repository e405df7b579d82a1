"""Prices in customers' words (mall.prices): one price expression read whole, and the prices
in a message, which a bare four-digit phone tail must never become."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mall.prices import find_prices, parse_price


@pytest.mark.parametrize(
    "text, price",
    [
        ("3999", "3999"),
        ("¥3,999", "3999"),
        ("￥3999", "3999"),
        ("3999元", "3999"),
        ("3999块", "3999"),
        ("3999块钱", "3999"),
        ("3,999.00", "3999"),
        ("8999.5", "8999.5"),
        ("RMB 3999", "3999"),
        ("3999 yuan", "3999"),
        ("３９９９", "3999"),
        ("三千九", "3900"),
        ("三千九百九十九", "3999"),
        ("五千四百九十九元", "5499"),
        ("两千", "2000"),
        ("1.2万", "12000"),
        ("5千", "5000"),
        ("八千九百九十九块", "8999"),
        ("两万五", "25000"),
        ("一万二千", "12000"),
        ("一千零五", "1005"),
        ("一千零五十", "1050"),
        ("三百五", "350"),
        ("九百九十九", "999"),
        ("一百万", "1000000"),
    ],
)
def test_a_price_read_whole(text, price):
    assert parse_price(text) == Decimal(price)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "0", "0021", "3999.999", "一二三四", "百", "三三千", "一百千", "1000001", "-5", "3999期", "¥", "12GB"],
)
def test_not_a_price(text):
    assert parse_price(text) is None


def prices_in(text):
    return [(text[found.start : found.end], found.text) for found in find_prices(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # the money is in the number's own form
        ("¥3,999 花呗12期", [("¥3,999", "3999")]),
        ("3999元分12期每个月还多少", [("3999元", "3999")]),
        ("3999 rmb with huabei 12 months", [("3999 rmb", "3999")]),
        ("三千九分12期一个月多少钱", [("三千九", "3900")]),
        ("八千九百九十九块分24期手续费多少", [("八千九百九十九块", "8999")]),
        ("1.2万的电视分24期每月还多少", [("1.2万", "12000")]),
        ("4K电视8999元", [("8999元", "8999")]),
        ("pay 1,299 in 3 installments", [("1,299", "1299")]),
        # a plan right after a bare number
        ("3999分12期花呗每期多少", [("3999", "3999")]),
        ("3999用花呗分12期每期还多少", [("3999", "3999")]),
        ("3999 12期 每期多少", [("3999", "3999")]),
        ("3999每个月还多少", [("3999", "3999")]),
        ("3999多少钱一期", [("3999", "3999")]),
        ("我看中一个3999的手机 花呗分12期 一个月多少", [("3999", "3999")]),
        ("8999.5分24期", [("8999.5", "8999.5")]),
        ("5499 over 12 months on credit card, how much each month", [("5499", "5499")]),
        ("8999 by credit card over 24 months", [("8999", "8999")]),
        ("3999 huabei 12期 每期多少", [("3999", "3999")]),
        ("5499 credit card 12 months monthly payment?", [("5499", "5499")]),
        ("3999 12 months how much each", [("3999", "3999")]),
        ("3999用支付宝分12期每期多少", [("3999", "3999")]),  # told Alipay takes no installments
        ("3999一次付清多少钱", [("3999", "3999")]),
        # a follow-up to a quote
        ("那5499的呢", [("5499", "5499")]),
        ("8999呢", [("8999", "8999")]),
        ("what if it's 8999", [("8999", "8999")]),
        ("and how about 5499?", [("5499", "5499")]),
        ("5499 with alipay over 3 months", [("5499", "5499")]),
        # a money word right before it
        ("how much per month if I pay 5499 by credit card over 12 months", [("5499", "5499")]),
        ("it costs 5499, what's the monthly payment", [("5499", "5499")]),
        ("price is 3999, huabei 12 installments", [("3999", "3999")]),
        ("价格3999，分6期每期多少", [("3999", "3999")]),
        ("价钱是5499 信用卡12期月供多少", [("5499", "5499")]),
        ("多少钱一期？价格8999", [("8999", "8999")]),
    ],
)
def test_prices_in_a_message(text, expected):
    assert prices_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1234",  # the verification form asks for the tail, customers answer with it alone
        "6499",
        "尾号1234",
        "尾号1234 分12期",
        "尾号1234 一次付清",
        "1234 支付宝",
        "手机后四位5678",
        "last four 9012",
        "my phone ends in 3456",
        "订单5201121000000006分24期每个月要还多少钱",
        "12期",
        "24个月",
        "分二十四期",
        "十二期免息吗",
        "我2024年买的",
        "2024-05-01 下的单",
        "iPhone 15",
        "Redmi Note 13 Pro",
        "Redmi K70 分期",
        "小米14分12期每期多少",
        "Xiaomi 14 12GB+256GB",
        "5000万像素的手机",
        "百分之七点五",
        "pay 12 months",
        "0021分期",
        "十分感谢",
        "一二三四",
        # not one amount: a range or a guess
        "人均消费50-100元",
        "3000到4000块的手机",
        "三千多块的手机",
        "分期怎么多出来几十块",
    ],
)
def test_numbers_that_are_not_prices(text):
    assert find_prices(text) == []


def test_a_message_full_of_prices_is_read_in_one_pass():
    text = "，".join(["3999分12期", "1234", "¥5,499"] * 500)
    assert [found.text for found in find_prices(text)] == ["3999", "5499"] * 500
