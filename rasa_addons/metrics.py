"""The Rasa server's metrics for Prometheus: `/metrics` on the server's own port, and what the
door measures of every message (mall.metrics has the names and what each server counts).

The route is added when the server's main process starts (Sanic's `main_process_start`,
before Sanic fixes its routes), from the listener rasa_addons.startup registers on the
channels' blueprints: Rasa has no other door to its app.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator, Optional

from sanic import Sanic, response
from sanic.request import Request

from mall import metrics

ROUTE = "/metrics"
_ROUTE_NAME = "mall_metrics"


async def _scrape(_: Request) -> response.HTTPResponse:
    body, content_type = metrics.exposition()
    return response.raw(body, content_type=content_type)


def add_route(app: Sanic) -> None:
    """Once per app, however many channels share the door."""
    if not any(route.name.endswith(_ROUTE_NAME) for route in app.router.routes):
        app.add_route(_scrape, ROUTE, methods=["GET"], name=_ROUTE_NAME)


@contextmanager
def message_measured(channel: Optional[str], text: Optional[str]) -> Iterator[None]:
    """Count a customer's message and time it until its replies are sent."""
    label = channel or "unknown"
    metrics.MESSAGES.labels(label, metrics.language_label(text)).inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.REPLY_SECONDS.labels(label).observe(time.perf_counter() - started)


def action_failed(name: str) -> None:
    """The action server could not run an action (down, or too slow)."""
    metrics.ACTION_FAILURES.labels(name, metrics.SEEN_BY_RASA).inc()
