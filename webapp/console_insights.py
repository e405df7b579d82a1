"""The insights dashboard, for supervisors (issue 22): /agent/insights opens the console on its
insights tab; under /agent/api/insights, for a range of mall days (?from=&to=, YYYY-MM-DD, both
included; by default the last DEFAULT_DAYS), the figures with their definitions as JSON, two
charts as SVG (webapp.charts) and the figures by day as CSV.

Every number is mall.insights.Insights' (what `python -m mall.insights` prints for the same
range) and every definition mall.figures' or mall.insights': nothing is counted or defined here.
Reading the stores and drawing take a while, so they run in worker threads, never on the event
loop that serves the other agents.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from aiohttp import web

from mall.figures import DEFINITIONS, RATE_DEFINITIONS, Counts, Figures
from mall.insights import AGENT_DEFINITIONS, Insights
from mall.sessions import mall_day
from webapp import charts
from webapp.console_auth import CONVERSATIONS, STORE, require_supervisor

DEFAULT_DAYS = 14  # the range shown first: the last two weeks of mall days, today included
MAX_DAYS = 366  # a longer range is refused: a year of bars is the most a chart can show
MISSED_GROUPS, MISSED_TEXTS = 8, 5  # the most frequent misses: groups shown, texts per group
NO_STORE = {"Cache-Control": "no-store"}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
T = TypeVar("T")


@dataclass(frozen=True)
class DayRange:
    first: str  # mall days, YYYY-MM-DD, both included
    last: str


def _day(request: web.Request, name: str) -> Optional[date]:
    given = request.query.get(name, "").strip()
    if not given:
        return None
    try:
        if not _DAY.fullmatch(given):
            raise ValueError(given)
        return date.fromisoformat(given)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}={given!r} is not a day: write YYYY-MM-DD (a mall day, UTC+8)") from None


def day_range(request: web.Request, today: Optional[str] = None) -> DayRange:
    """The range asked for; a missing end is today (mall time), a missing start DEFAULT_DAYS
    before the end. A bad day, a start after the end or over MAX_DAYS days: 400, saying why."""
    last = _day(request, "to") or date.fromisoformat(today or mall_day(time.time()))
    first = _day(request, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise web.HTTPBadRequest(text=f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_DAYS:
        raise web.HTTPBadRequest(text=f"the range has {(last - first).days + 1} days; at most {MAX_DAYS}")
    return DayRange(first.isoformat(), last.isoformat())


def insights(request: web.Request) -> Insights:
    if CONVERSATIONS not in request.app:
        raise web.HTTPServiceUnavailable(
            text="The insights read the conversation store, and this console was started without one: start it "
            "with CONVERSATIONS_DB (or DATABASE_URL) naming the Rasa server's store, as `python -m webapp` does."
        )
    return Insights(request.app[CONVERSATIONS], request.app[STORE])


async def in_thread(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, work)


async def asked(request: web.Request) -> Tuple[Insights, DayRange]:
    """The supervisor's request: who may (403 for an agent; the middleware 401s a stranger),
    then the range (400), then the store (503)."""
    require_supervisor(request)
    span = day_range(request)
    return insights(request), span


# -- the JSON ------------------------------------------------------------------------------


def _percent(value: Any) -> Optional[str]:
    return None if value is None else str(value)  # exact decimal text ("77.8"), never a float


def _rates(counts: Counts) -> Dict[str, Optional[str]]:
    return {name: _percent(value) for name, value in counts.rates().items()}


def dashboard(source: Insights, span: DayRange) -> Dict[str, Any]:
    """Everything the page shows for the range, in one answer."""
    counted = source.figures(span.first, span.last)
    agents = source.agent_times(span.first, span.last)
    misses = source.frequent_misses(span.first, span.last)[:MISSED_GROUPS]
    return {
        "from": span.first,
        "to": span.last,
        "figures": counted.as_json(),  # exactly `python -m mall.insights --json --from --to`
        "rates": _rates(counted.total),
        "rates_by_language": {language: _rates(counts) for language, counts in counted.by_language.items()},
        "handoffs_by_reason": source.handoffs_by_reason(span.first, span.last),
        "agents": {
            "tickets": agents.tickets,
            "first_response": agents.first_response_median,
            "handling": agents.handling_median,
        },
        "misses": [
            {"intent": intent, "total": sum(times for _, times in texts), "texts": texts[:MISSED_TEXTS]}
            for intent, texts in misses
        ],
        "definitions": {**DEFINITIONS, **RATE_DEFINITIONS, **AGENT_DEFINITIONS},
        "charts": {"daily": list(charts.DAILY_SERIES), "funnel": list(charts.FUNNEL_BARS), "colours": charts.COLOURS},
    }


async def insights_json(request: web.Request) -> web.Response:
    source, span = await asked(request)
    return web.json_response(await in_thread(partial(dashboard, source, span)), headers=NO_STORE)


# -- the charts ----------------------------------------------------------------------------


def _figures(source: Insights, span: DayRange) -> Figures:
    return source.figures(span.first, span.last)


async def daily_chart(request: web.Request) -> web.Response:
    source, span = await asked(request)
    svg = await in_thread(lambda: charts.daily_svg(_figures(source, span).by_day))
    return web.Response(text=svg, content_type="image/svg+xml", headers=NO_STORE)


async def funnel_chart(request: web.Request) -> web.Response:
    source, span = await asked(request)
    svg = await in_thread(lambda: charts.funnel_svg(_figures(source, span).total.change_payment))
    return web.Response(text=svg, content_type="image/svg+xml", headers=NO_STORE)


# -- the CSV -------------------------------------------------------------------------------


def flat(shown: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """{"csat": {"average": 4.5}} -> {"csat.average": 4.5}: the keys as the definitions name them."""
    out: Dict[str, Any] = {}
    for key, value in shown.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def by_day_csv(counted: Figures) -> str:
    """A row per mall day of the range; the columns are the command's fixed keys."""
    columns: List[str] = ["day", *flat(Counts().as_json())]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for day, counts in counted.by_day.items():
        row = {"day": day, **flat(counts.as_json())}
        writer.writerow(["" if row[column] is None else row[column] for column in columns])
    return out.getvalue()


async def by_day_download(request: web.Request) -> web.Response:
    source, span = await asked(request)
    text = await in_thread(lambda: by_day_csv(_figures(source, span)))
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="insights-{span.first}-{span.last}.csv"'}
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers=headers)


# -- the page ------------------------------------------------------------------------------


async def insights_page(request: web.Request) -> web.Response:
    """The console (web/agent.html, served at /agent), opening on its insights tab; who may see
    it is checked by the API, as for the console's other tabs."""
    raise web.HTTPFound("/agent#insights")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/agent/insights", insights_page)
    app.router.add_get("/agent/api/insights", insights_json)
    app.router.add_get("/agent/api/insights/daily.svg", daily_chart)
    app.router.add_get("/agent/api/insights/funnel.svg", funnel_chart)
    app.router.add_get("/agent/api/insights/by_day.csv", by_day_download)
