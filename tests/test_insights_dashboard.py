"""The insights dashboard's HTTP side (webapp.console_insights): on scripted sessions (the week of
tests.test_figures, counted there by hand), tickets an agent answered and messages not
understood, its figures are `python -m mall.insights --json`'s for the same range, its rates the
worked examples', its CSV the figures by day; supervisors only, days checked, charts well-formed
SVG with no text a browser would need a font for."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List
from xml.etree import ElementTree

import pytest

from mall import insights, settings
from mall.conversations import ConversationLog
from mall.figures import DEFINITIONS, RATE_DEFINITIONS
from mall.insights import AGENT_DEFINITIONS
from mall.review import UNKNOWN
from mall.sessions import mall_day
from mall.store import OrderStore
from tests.console_support import signed_in, with_console
from tests.test_figures import DAY1, DAY2, play_the_week

RANGE = f"from={DAY1}&to={DAY2}"
ENDPOINTS = ["/agent/api/insights", "/agent/api/insights/daily.svg", "/agent/api/insights/funnel.svg"]
ENDPOINTS += ["/agent/api/insights/by_day.csv"]
SVG = "{http://www.w3.org/2000/svg}"


class Clock:
    """The test's order store's clock: tickets and misses are written at the moment set."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)  # 10:00 on DAY2 in the mall

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: str) -> Clock:
        self.now = datetime.fromisoformat(moment)
        return self


def answered_ticket(store: OrderStore, clock: Clock, sender: str, opened: str, first_response: int, handling: int):
    """A ticket opened at `opened` (UTC), claimed and answered by wang `first_response` seconds
    later, closed by him `handling` seconds after that."""
    clock.at(opened)
    ticket_id = store.tickets.open(sender, "customer_request", "zh")
    clock.now += timedelta(seconds=first_response)
    wang = store.agents.get("wang")
    assert wang is not None
    store.assignment.claim(ticket_id, wang)
    store.tickets.agent_replied(ticket_id, "wang")
    clock.now += timedelta(seconds=handling)
    assert store.assignment.close(ticket_id, wang)


def the_week(tmp_path: Path, clock: Clock) -> Callable[[OrderStore], None]:
    """The conversations of tests.test_figures' week; returns what adds the tickets and misses
    to the order store the console opens."""
    log = ConversationLog(tmp_path / "conversations.db")
    play_the_week(log)
    log.close()

    def in_the_store(store: OrderStore) -> None:
        answered_ticket(store, clock, "s5", "2026-11-03T02:00:00+00:00", 60, 600)
        answered_ticket(store, clock, "s6", "2026-11-03T03:00:00+00:00", 121, 120)  # s7's
        answered_ticket(store, clock, "old", "2026-10-01T03:00:00+00:00", 5, 5)  # outside the range
        guess = [("ask_installment_fees", 0.31)]
        for moment, text in [("2026-11-02T01:00:00", "asdf qwer"), ("2026-11-02T02:00:00", "asdf  qwer")]:
            clock.at(moment + "+00:00")
            store.misses.record("s2", text, "nlu_fallback", guess, "en")
        clock.at("2026-11-03T01:00:00+00:00")
        store.misses.record("s10", "我的号码 13812345678 收不到", "nlu_fallback", [], "zh")
        clock.at("2026-10-01T01:00:00+00:00")
        store.misses.record("old", "long ago", "nlu_fallback", [], "en")

    return in_the_store


def dashboard_test(tmp_path: Path, check: Callable[[Any], Any]) -> None:
    """`check(supervisor)` against a console over the week, as the supervisor chen."""
    clock = Clock()
    fill = the_week(tmp_path, clock)

    async def scenario(client, rasa, store):
        fill(store)
        async with signed_in(client, "chen") as chen:
            await check(chen)

    with_console(tmp_path, scenario, clock=clock, conversations_db=tmp_path / "conversations.db")


def command_json(tmp_path: Path, monkeypatch, capsys, first: str, last: str) -> Dict[str, Any]:
    monkeypatch.setenv(settings.ORDERS_DB_ENV, str(tmp_path / "orders.db"))
    monkeypatch.setenv(settings.CONVERSATIONS_DB_ENV, str(tmp_path / "conversations.db"))
    capsys.readouterr()
    assert insights.main(["--json", "--from", first, "--to", last]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_figures_are_the_commands_for_the_same_range(tmp_path, monkeypatch, capsys):
    shown: Dict[str, Any] = {}

    async def check(chen):
        shown.update(await chen.json(f"/agent/api/insights?{RANGE}"))

    dashboard_test(tmp_path, check)
    assert (shown["from"], shown["to"]) == (DAY1, DAY2)
    assert shown["figures"] == command_json(tmp_path, monkeypatch, capsys, DAY1, DAY2)
    assert shown["figures"]["sessions"] == 9 and shown["figures"]["csat"] == {"responses": 2, "average": 3.5}
    assert shown["rates"] == {"containment": "77.8", "resolution": "22.2"}  # 7 and 2 of 9: worked in test_figures
    assert shown["rates_by_language"]["en"] == {"containment": "100.0", "resolution": "33.3"}  # 3 and 1 of 3
    assert shown["handoffs_by_reason"] == {"customer_request": 1, "paid_order": 1}
    assert shown["agents"] == {"tickets": 2, "first_response": 91, "handling": 360}  # 60/121 s, 600/120 s
    assert shown["misses"] == [
        {"intent": "ask_installment_fees", "total": 2, "texts": [["asdf qwer", 2]]},
        {"intent": UNKNOWN, "total": 1, "texts": [["我的号码 138****5678 收不到", 1]]},
    ]
    assert shown["definitions"] == {**DEFINITIONS, **RATE_DEFINITIONS, **AGENT_DEFINITIONS}


def test_one_day_and_the_default_range(tmp_path, monkeypatch, capsys):
    answers: List[Dict[str, Any]] = []

    async def check(chen):
        answers.append(await chen.json(f"/agent/api/insights?from={DAY2}&to={DAY2}"))
        answers.append(await chen.json("/agent/api/insights"))

    dashboard_test(tmp_path, check)
    one_day, default = answers
    assert one_day["figures"] == command_json(tmp_path, monkeypatch, capsys, DAY2, DAY2)
    assert one_day["figures"]["sessions"] == 5 and one_day["agents"]["tickets"] == 2
    assert [miss["total"] for miss in one_day["misses"]] == [1]
    today = date.fromisoformat(mall_day(datetime.now(timezone.utc).timestamp()))
    assert (default["from"], default["to"]) == ((today - timedelta(days=13)).isoformat(), today.isoformat())
    assert len(default["figures"]["by_day"]) == 14 and default["rates"] == {"containment": None, "resolution": None}


def test_the_csv_has_a_row_a_day_and_the_fixed_keys(tmp_path):
    got: Dict[str, Any] = {}

    async def check(chen):
        response = await chen.get(f"/agent/api/insights/by_day.csv?{RANGE}")
        assert response.status == 200 and response.content_type == "text/csv"
        got["disposition"] = response.headers["Content-Disposition"]
        got["text"] = await response.text()

    dashboard_test(tmp_path, check)
    assert got["disposition"] == f'attachment; filename="insights-{DAY1}-{DAY2}.csv"'
    rows = list(csv.reader(io.StringIO(got["text"])))
    assert rows[0] == [
        "day", "sessions", "contained", "handed_off", "resolved", "fallbacks",
        "change_payment.started", "change_payment.verified", "change_payment.confirmed",
        "change_payment.reordered", "change_payment.handed_off", "change_payment.abandoned",
        "csat.responses", "csat.average",
    ]  # fmt: skip
    assert rows[1] == [DAY1, "4", "4", "0", "2", "1", "1", "1", "1", "1", "0", "0", "2", "3.5"]  # s1 s2 s3 s6
    assert rows[2] == [DAY2, "5", "3", "2", "0", "0", "3", "3", "0", "0", "1", "1", "0", ""]  # s4 s5 s7 s8 s10
    assert len(rows) == 3


def test_the_charts_are_svg_with_every_glyph_a_path(tmp_path):
    charts: Dict[str, str] = {}

    async def check(chen):
        for name in ("daily", "funnel"):
            response = await chen.get(f"/agent/api/insights/{name}.svg?{RANGE}")
            assert response.status == 200 and response.content_type == "image/svg+xml"
            charts[name] = await response.text()

    dashboard_test(tmp_path, check)
    for name, svg in charts.items():
        root = ElementTree.fromstring(svg)
        assert root.tag == f"{SVG}svg", name
        assert root.findall(f".//{SVG}text") == [], name  # text as paths: no font needed
        assert root.findall(f".//{SVG}path"), name


def test_supervisors_only(tmp_path):
    async def scenario(client, rasa, store):
        for path in ENDPOINTS:
            assert (await client.get(f"{path}?{RANGE}")).status == 401, path  # nobody signed in
        async with signed_in(client, "wang") as wang:
            for path in ENDPOINTS:
                response = await wang.get(f"{path}?{RANGE}")
                assert response.status == 403 and await response.text() == "supervisors only", path

    with_console(tmp_path, scenario, conversations_db=tmp_path / "conversations.db")


@pytest.mark.parametrize(
    "query, said",
    [
        ("from=2026-13-01", "from='2026-13-01' is not a day: write YYYY-MM-DD"),
        ("to=20261102", "to='20261102' is not a day"),
        ("from=yesterday", "from='yesterday' is not a day"),
        (f"from={DAY2}&to={DAY1}", f"from ({DAY2}) is after to ({DAY1})"),
        ("from=2024-01-01&to=2026-01-01", "the range has 732 days; at most 366"),
    ],
)
def test_bad_days_are_refused_saying_why(tmp_path, query, said):
    async def scenario(client, rasa, store):
        async with signed_in(client, "chen") as chen:
            for path in ENDPOINTS:
                response = await chen.get(f"{path}?{query}")
                assert response.status == 400, path
                assert said in await response.text(), path

    with_console(tmp_path, scenario, conversations_db=tmp_path / "conversations.db")


def test_without_the_conversation_store_it_says_so(tmp_path):
    async def scenario(client, rasa, store):
        async with signed_in(client, "chen") as chen:
            response = await chen.get("/agent/api/insights")
            assert response.status == 503 and "CONVERSATIONS_DB" in await response.text()

    with_console(tmp_path, scenario)


def test_the_page_is_the_console_on_its_insights_tab(tmp_path):
    async def scenario(client, rasa, store):
        response = await client.get("/agent/insights", allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/agent#insights"
        page = await client.get("/agent/insights")
        assert page.status == 200 and 'id="view-insights"' in await page.text()

    with_console(tmp_path, scenario)
