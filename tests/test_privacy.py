"""Mobile numbers are masked however they are written; order numbers and amounts never are."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mall.privacy import mask_phones_in_text

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CHINESE = str.maketrans("0123456789", "零一二三四五六七八九")
SEPARATORS = [" ", "-", ".", "\u3000", "\u00a0", "－", "–", " - ", "  "]
PREFIXES = ["", "+86", "86", "0086", "＋86", "(+86)", "（+86）"]


@pytest.mark.parametrize(
    "written, shown",
    [
        ("13800001234", "138****1234"),
        ("138 0000 1234", "138 **** 1234"),
        ("138-0000-1234", "138-****-1234"),
        ("+8613800001234", "+86138****1234"),
        ("+86 138 0000 1234", "+86 138 **** 1234"),
        ("0086-138-0000-1234", "0086-138-****-1234"),
        ("１３８００００１２３４", "１３８****１２３４"),
        ("一三八零零零零一二三四", "一三八****一二三四"),
        ("我的手机号是138 0000 1234，谢谢", "我的手机号是138 **** 1234，谢谢"),
        ("订单5201121000000001 手机13800001234", "订单5201121000000001 手机138****1234"),
    ],
)
def test_common_forms_are_masked(written, shown):
    assert mask_phones_in_text(written) == shown


@pytest.mark.parametrize(
    "text",
    [
        "5201121000000001",
        "5201 1210 0000 0001",
        "5201-1210-0000-0006",
        "５２０１１２１００００００００８",
        "¥3,999.00 分12期",
        "2026-11-21 10:00:00",
        "工单号 HT2611210001",
        "热线 400-100-5678",
        "12345678901",  # 11 digits, not a mobile number (12…)
    ],
)
def test_order_numbers_amounts_and_hotline_are_left_alone(text):
    assert mask_phones_in_text(text) == text


mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
# Text around a number: anything but digits, separators and Chinese numerals.
WORDS = [*"我的手机号是请联系abcXYZ:：，,！?\n", "号码", "phone ", "谢谢"]
context = st.lists(st.sampled_from(WORDS), max_size=6).map("".join)


@st.composite
def written_mobiles(draw):
    """A mobile number as someone might write it: grouped any way, any separators, any
    digits (ASCII, full width, Chinese), with or without the country code."""
    number = draw(mobiles)
    cuts = sorted(draw(st.sets(st.integers(1, 10), max_size=4)))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 11], strict=True)]
    written = groups[0]
    for group in groups[1:]:
        written += draw(st.sampled_from(SEPARATORS)) + group
    prefix = draw(st.sampled_from(PREFIXES))
    if prefix:
        written = prefix + draw(st.sampled_from(["", " ", "-"])) + written
    script = draw(st.sampled_from([None, FULL_WIDTH, CHINESE]))
    if script:
        written = written.translate(script)
    return number, written


def digits_of(text: str) -> str:
    return "".join(str("零一二三四五六七八九".index(c)) if c in "零一二三四五六七八九" else c for c in text).translate(
        str.maketrans("０１２３４５６７８９", "0123456789")
    )


@settings(max_examples=400, deadline=None)
@given(written_mobiles(), context, context)
def test_any_written_form_of_any_mobile_number_is_masked(mobile, before, after):
    number, written = mobile
    text = f"{before} {written} {after}"
    masked = mask_phones_in_text(text)
    assert len(masked) == len(text)
    changed = [i for i, (a, b) in enumerate(zip(text, masked, strict=True)) if a != b]
    assert len(changed) == 4 and all(masked[i] == "*" for i in changed)
    shown = "".join(c for c in digits_of(masked) if c.isdigit() or c == "*")
    assert number not in shown and number[:3] + "****" + number[7:] in shown


order_numbers = st.text(alphabet="0123456789", min_size=16, max_size=16)


@st.composite
def written_order_numbers(draw):
    number = draw(order_numbers)
    separator = draw(st.sampled_from(["", " ", "-"]))
    written = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    return written.translate(FULL_WIDTH) if draw(st.booleans()) else written


@settings(max_examples=400, deadline=None)
@given(written_order_numbers(), context, context)
def test_no_order_number_is_ever_touched(written, before, after):
    text = f"{before}订单{written} {after}"
    assert mask_phones_in_text(text) == text
