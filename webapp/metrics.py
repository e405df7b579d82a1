"""The web app's metrics for Prometheus on `/metrics` (mall.metrics): the open tickets, read
from the order store at each scrape, and the process's own."""

from __future__ import annotations

from aiohttp import web

from mall import metrics
from mall.store import OrderStore


def add_metrics(app: web.Application, store_key: web.AppKey[OrderStore]) -> None:
    async def scrape(request: web.Request) -> web.Response:
        body, content_type = metrics.exposition(metrics.open_tickets(request.app[store_key]))
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/metrics", scrape)
