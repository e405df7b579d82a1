"""The insights page's charts (issue 22): SVG drawn on the server with matplotlib's SVG backend,
every glyph written as a path, so the browser needs no font and the picture is the same
everywhere.

Only numbers and dates are drawn. The words ("中文 · English") are the page's own, in
web/agent.html, beside swatches in the colours served with the figures (COLOURS): matplotlib
3.5 cannot pick Noto Sans CJK SC out of Debian's font collection, and a chart's legend would
otherwise need one font per language.

Drawing is slow (tens of milliseconds) and matplotlib's font and text caches are shared by the
whole process: the console calls these in a worker thread, one chart at a time (_DRAWING).
"""

from __future__ import annotations

import io
import threading
from datetime import date
from typing import Dict, List

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mall.figures import Counts, Funnel

# The series of the daily chart, bottom up (they add up to the day's sessions), and the funnel's
# bars, in the order drawn. The page names them and shows these colours in its legends.
DAILY_SERIES = ("resolved", "contained_unresolved", "handed_off")
FUNNEL_BARS = ("started", "verified", "confirmed", "reordered", "handed_off", "abandoned")
COLOURS: Dict[str, str] = {
    "resolved": "#ff6700",
    "contained_unresolved": "#ffc39e",
    "handed_off": "#78909c",
    "started": "#ff6700",
    "verified": "#ff8533",
    "confirmed": "#ffa366",
    "reordered": "#ffc299",
    "abandoned": "#cfd8dc",
}
TEXT_COLOUR = "#616161"
MAX_DAY_LABELS = 16  # more days than this: every other label (or fewer), so dates never overlap
_DRAWING = threading.Lock()


def daily_series(by_day: Dict[str, Counts]) -> Dict[str, List[int]]:
    """Each day's sessions split three ways: resolved, contained but not resolved, handed off."""
    return {
        "resolved": [counts.resolved for counts in by_day.values()],
        "contained_unresolved": [counts.sessions - counts.handed_off - counts.resolved for counts in by_day.values()],
        "handed_off": [counts.handed_off for counts in by_day.values()],
    }


def daily_svg(by_day: Dict[str, Counts]) -> str:
    """Sessions a day as stacked bars (DAILY_SERIES), the day's total above each bar."""
    days = list(by_day)
    figure = Figure(figsize=(9, 2.8))
    figure.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.14)
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    bottom = [0] * len(days)
    for name, values in daily_series(by_day).items():
        axes.bar(positions, values, bottom=bottom, width=0.7, color=COLOURS[name], linewidth=0)
        bottom = [below + value for below, value in zip(bottom, values, strict=True)]
    for position, total in zip(positions, bottom, strict=True):
        if total:
            axes.annotate(str(total), (position, total), xytext=(0, 2), textcoords="offset points", ha="center",
                          va="bottom", fontsize=8, color=TEXT_COLOUR)  # fmt: skip
    step = max(1, -(-len(days) // MAX_DAY_LABELS))
    axes.set_xticks(positions[::step])
    axes.set_xticklabels([date.fromisoformat(day).strftime("%m-%d") for day in days[::step]])
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)
    axes.set_ylim(0, max([*bottom, 1]) * 1.15)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    _plain(axes)
    return _svg(figure)


def funnel_svg(funnel: Funnel) -> str:
    """The change-payment funnel as equal bars filling the width, so that the page's labels, in
    a grid of as many equal columns, stand under their bars."""
    values = [getattr(funnel, name) for name in FUNNEL_BARS]
    figure = Figure(figsize=(9, 1.7))
    axes = figure.add_axes([0, 0, 1, 0.86])
    positions = list(range(len(values)))
    axes.bar(positions, values, width=0.8, color=[COLOURS[name] for name in FUNNEL_BARS], linewidth=0)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(str(value), (position, value), xytext=(0, 3), textcoords="offset points", ha="center",
                      va="bottom", fontsize=11, color=TEXT_COLOUR)  # fmt: skip
    axes.set_xlim(-0.5, len(values) - 0.5)
    axes.set_ylim(0, max([*values, 1]) * 1.05)
    axes.set_xticks([])
    axes.set_yticks([])
    _plain(axes)
    axes.spines["left"].set_visible(False)
    return _svg(figure)


def _plain(axes: matplotlib.axes.Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#bdbdbd")
    axes.tick_params(colors=TEXT_COLOUR, labelsize=8, length=0)


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    # text as paths (no font in the browser); a fixed id salt and no date: the same figures
    # always give the same bytes
    style = {"svg.fonttype": "path", "svg.hashsalt": "mall-insights", "font.family": "DejaVu Sans"}
    with _DRAWING, matplotlib.rc_context(style):
        FigureCanvasSVG(figure).print_svg(out, metadata={"Date": None})
    return out.getvalue()
