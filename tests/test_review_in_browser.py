"""Review and learn in a real browser (Debian's Chromium, Playwright), against the real
servers: a customer's message the assistant does not understand is missed; a supervisor
opens /agent/review, sees it in its group, opens its conversation (the phone number masked),
labels it out of scope and sees it leave the list; the example is in the supervisors'
training file (the session's, never the project's data/). An agent at /agent/review gets
the tickets, not the review."""

from __future__ import annotations

import re

import pytest

from mall import settings
from mall.training_file import read_examples
from tests.browser import TIMEOUT_MS, Console, Widget
from tests.console_support import ACCOUNTS
from tests.support import SCREENSHOTS, wait_until

pytestmark = pytest.mark.browser

SAID = "啵啵啵 13912345678 咕噜咕噜"
MASKED = "啵啵啵 139****5678 咕噜咕噜"
NOT_UNDERSTOOD = re.compile("没太理解|哪一个")  # utter_not_understood, or utter_did_you_mean
SCREENSHOT = SCREENSHOTS / "review.png"
# A few more misses, as other conversations left them, so the page shows its groups.
OTHERS = [
    ("c-a", "能不能用京东白条", "change_payment_method"),
    ("c-b", "能不能用京东白条", "change_payment_method"),
    ("c-c", "分期的钱什么时候扣", "ask_repayment"),
    ("c-d", "你们几点下班", "request_human"),
]


def review_console(new_page, site, name: str) -> Console:
    """Signed in at /agent/review, the address a supervisor is given for the review."""
    console = Console(new_page(), site.web_url)
    console.page.goto(f"{site.web_url}/agent/review")
    console.page.locator("#name").fill(name)
    console.page.locator("#password").fill(ACCOUNTS[name][3])
    console.page.locator("#login button[type=submit]").click()
    console.page.locator("#whoami", has_text=f"({name})").wait_for(timeout=TIMEOUT_MS)
    return console


def test_a_supervisor_reads_a_missed_message_in_its_conversation_labels_it_and_it_leaves(site, site_orders, new_page):
    shopper = Widget(new_page())
    shopper.load(site.web_url)
    shopper.open()
    shopper.wait_for_bot("支付助手")
    shopper.send(SAID)
    shopper.page.locator(".rw-response", has_text=NOT_UNDERSTOOD).last.wait_for(timeout=TIMEOUT_MS)
    wait_until(lambda: site_orders.misses.unlabelled(), 10, "the miss recorded")
    for sender, text, nearest in OTHERS:
        site_orders.misses.record(sender, text, "clarification", [(nearest, 0.42)], "zh")

    chen = review_console(new_page, site, "chen")
    page = chen.page
    page.locator("#view-review").wait_for(timeout=TIMEOUT_MS)  # opened on the review tab
    item = page.locator("#review-groups .review-item", has_text=MASKED)
    item.wait_for(timeout=TIMEOUT_MS)
    assert "13912345678" not in page.content()
    item.locator(".conversation-link").first.click()
    missed = page.locator("#review-messages .message.customer.missed")
    missed.wait_for(timeout=TIMEOUT_MS)
    assert MASKED in missed.inner_text()
    assert page.locator("#review-messages .message.assistant", has_text=NOT_UNDERSTOOD).count() >= 1
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    item.locator("select.review-intent").select_option("out_of_scope")
    item.locator("button.label-button").click()
    item.wait_for(state="detached", timeout=TIMEOUT_MS)
    page.locator("#review-notice", has_text=MASKED).wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#review-groups .review-item", has_text="能不能用京东白条").count() == 1  # the others stay
    assert MASKED in read_examples(settings.reviewed_nlu_file())["out_of_scope"]
    assert settings.reviewed_nlu_file().parent != settings.TRAINING_DATA / "nlu"
    assert {miss.label for miss in site_orders.misses.since() if miss.text == MASKED} == {"out_of_scope"}

    wang = review_console(new_page, site, "wang")
    wang.page.locator("#view-tickets").wait_for(timeout=TIMEOUT_MS)
    assert wang.page.locator(".tab[data-view=review]").is_hidden()
