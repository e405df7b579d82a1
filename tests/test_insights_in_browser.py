"""The insights tab in a real browser (Debian's Chromium, Playwright), against the console's
real web server over scripted stores: a supervisor opens /agent/insights and sees the last 14
mall days' tiles with the numbers `python -m mall.insights` gives (mall.insights.Insights) and
every definition; changes the range to the week counted by hand in tests.test_figures and sees
those numbers; downloads the CSV by day. An agent's console has no insights tab.

The fortnight is scripted, seeded sessions written as Rasa's tracker store writes them
(tests.conversation_events), with tickets an agent answered and messages not understood; the
page's picture is kept in out/screenshots/insights.png (the README's is of make demo-traffic).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import expect

from launcher.processes import free_port
from launcher.stack import AgentAccess, running_web
from mall.conversations import ConversationLog
from mall.figures import DEFINITIONS, RATE_DEFINITIONS
from mall.insights import AGENT_DEFINITIONS, Insights
from mall.sessions import mall_day
from mall.store import OrderStore
from mall.support import MALL_TIME
from tests.browser import CHROMIUM, TIMEOUT_MS, Console
from tests.console_support import ACCOUNTS, add_accounts
from tests.conversation_events import Conversation, at
from tests.support import SCREENSHOTS
from tests.test_figures import DAY1, DAY2, play_the_week
from tests.test_insights_dashboard import Clock

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "insights.png"
QUESTIONS = {
    "zh": [("分期有手续费吗", "utter_installment_fees"), ("怎么还款", "utter_repayment")],
    "en": [("how do I pay in installments", "utter_installment_howto"), ("fees?", "utter_installment_fees")],
}
MISSES = {"zh": ["发票怎么开", "你们有没有卖冰箱的", "快递到哪了"], "en": ["do you sell fridges", "asdfgh"]}


def one_session(talk: Conversation, store: OrderStore, clock: Clock, language: str, luck: random.Random) -> None:
    """One of the kinds of session the assistant has, picked by `luck`."""
    question, answer = luck.choice(QUESTIONS[language])
    kind = luck.choice(["question", "question", "rated", "miss", "reordered", "declined", "left", "paid", "human"])
    if kind in ("question", "rated", "miss"):
        if kind == "miss":
            text = luck.choice(MISSES[language])
            guesses = [("ask_installment_fees", 0.4)] if luck.random() < 0.5 else []
            store.misses.record(talk.sender, text, "nlu_fallback", guesses, language)
            talk.not_understood(text)
        talk.question(question, answer)
        if kind == "rated":
            talk.rate(luck.choice([5, 5, 4, 4, 3, 2]))
        return
    if kind == "human":
        talk.handoff("转人工" if language == "zh" else "a human please")
    else:
        talk.start_change("我想改支付方式" if language == "zh" else "change my payment method")
        talk.verify("5201121000000002" if kind == "paid" else "5201121000000001")
        {"reordered": talk.confirm_and_reorder, "declined": talk.decline, "left": lambda: talk, "paid": lambda: talk}[
            kind
        ]()
        if kind == "paid":
            talk.handoff("好的", reason="paid_order")
        if kind == "reordered":
            talk.rate(luck.choice([5, 4]))
    if kind in ("human", "paid"):  # an agent answers, then closes
        clock.now = datetime.fromtimestamp(talk.now, timezone.utc)
        ticket_id = store.tickets.open(talk.sender, "customer_request", language)
        clock.now += timedelta(seconds=luck.randint(20, 400))
        wang = store.agents.get("wang")
        assert wang is not None
        store.assignment.claim(ticket_id, wang)
        store.tickets.agent_replied(ticket_id, "wang")
        clock.now += timedelta(seconds=luck.randint(120, 1500))
        store.assignment.close(ticket_id, wang)


def busy_fortnight(log: ConversationLog, store: OrderStore, clock: Clock, today: date) -> None:
    """Seeded sessions on each of the 14 mall days up to yesterday (all ended by now)."""
    luck = random.Random(22)
    for back in range(14, 0, -1):
        day = (today - timedelta(days=back)).isoformat()
        for number in range(luck.randint(3, 12)):
            language = "zh" if luck.random() < 0.62 else "en"
            start = at(day, luck.randint(9, 22), luck.randint(0, 59))
            clock.now = datetime.fromtimestamp(start, timezone.utc)
            talk = Conversation(log, f"{day}-{number}", start).new_session()
            one_session(talk, store, clock, language, luck)


@dataclass(frozen=True)
class DashboardSite:
    url: str
    workdir: Path

    def expected_tiles(self, first: str, last: str) -> List[str]:
        """sessions, containment, resolution, CSAT as `python -m mall.insights` counts them."""
        log, store = ConversationLog(self.workdir / "conversations.db"), OrderStore(self.workdir / "orders.db")
        try:
            total = Insights(log, store).figures(first, last).total
        finally:
            log.close()
            store.close()
        rates = total.rates()
        return [str(total.sessions), f"{rates['containment']}%", f"{rates['resolution']}%", f"{total.csat_average:.2f}"]


@pytest.fixture(scope="module")
def dashboard_site(tmp_path_factory) -> Iterator[DashboardSite]:
    """The console's web server (no Rasa needed for these pages) over the scripted stores."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    workdir: Path = tmp_path_factory.mktemp("insights")
    clock = Clock()
    store, log = OrderStore(workdir / "orders.db", clock=clock), ConversationLog(workdir / "conversations.db")
    add_accounts(store)
    busy_fortnight(log, store, clock, date.fromisoformat(mall_day(datetime.now(MALL_TIME).timestamp())))
    play_the_week(log)
    log.close()
    store.close()
    with running_web(workdir, free_port(), workdir / "orders.db", agent=AgentAccess()) as url:
        yield DashboardSite(url, workdir)


TILES = ("sessions", "containment", "resolution", "csat")


def tiles(page) -> List[str]:
    return [page.locator(f"#view-insights .tile[data-tile={name}] .value").inner_text() for name in TILES]


def until_shown(page, first: str, last: str) -> None:
    page.locator(f"#view-insights[data-shown='from={first}&to={last}']").wait_for(timeout=TIMEOUT_MS)


def test_a_supervisor_reads_the_dashboard_changes_the_range_and_downloads_the_csv(dashboard_site, new_page):
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 1900})  # the whole page in the picture
    Console(page, dashboard_site.url).signed_in_as("chen", ACCOUNTS["chen"][3])
    page.goto(f"{dashboard_site.url}/agent/insights")
    today = date.fromisoformat(mall_day(datetime.now(MALL_TIME).timestamp()))
    first, last = (today - timedelta(days=13)).isoformat(), today.isoformat()
    until_shown(page, first, last)  # the last 14 mall days
    assert page.url.endswith("/agent#insights")
    assert tiles(page) == dashboard_site.expected_tiles(first, last)
    definitions = page.locator("#insights-definitions").inner_text()
    for key, text in {**DEFINITIONS, **RATE_DEFINITIONS, **AGENT_DEFINITIONS}.items():
        assert key in definitions and text in definitions
    containment = page.locator("#view-insights .tile[data-tile=containment]").inner_text()
    assert RATE_DEFINITIONS["containment"] in containment and DEFINITIONS["contained"] in containment
    for chart in ("#insights-daily", "#insights-funnel"):  # drawn before the picture is taken
        assert page.locator(chart).evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    page.locator("#insights-from").fill(DAY1)
    page.locator("#insights-to").fill(DAY2)
    page.locator("#insights-range button[type=submit]").click()
    until_shown(page, DAY1, DAY2)
    assert tiles(page) == ["9", "77.8%", "22.2%", "3.50"]  # counted by hand in tests.test_figures
    assert page.locator("#view-insights .tile[data-tile=handoffs] .value").inner_text() == "2"
    assert page.locator("#insights-languages tr[data-language=en] td").all_inner_texts()[1:4] == [
        "3",
        "100.0%",
        "33.3%",
    ]
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator("#insights-csv").click()
    assert download.value.suggested_filename == f"insights-{DAY1}-{DAY2}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row[:2] for row in rows] == [["day", "sessions"], [DAY1, "4"], [DAY2, "5"]]


def test_an_agent_has_no_insights_tab(dashboard_site, new_page):
    page = new_page()
    Console(page, dashboard_site.url).signed_in_as("wang", ACCOUNTS["wang"][3])
    page.goto(f"{dashboard_site.url}/agent/insights")
    page.locator("#whoami", has_text="(wang)").wait_for(timeout=TIMEOUT_MS)
    expect(page.locator("#view-tickets")).to_be_visible()
    expect(page.locator(".tab[data-view=insights]")).to_be_hidden()
    expect(page.locator("#view-insights")).to_be_hidden()
