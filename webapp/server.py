"""aiohttp app on port 8080: the mall page with the chat widget and the demo sign-in
(webapp.shop), and the agent console (webapp.agent), with the headers and checks of
webapp.security on all of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from aiohttp import web

from mall import settings, support
from mall.agents import ROLE_LABELS
from mall.audit import AUDIT_LABELS
from mall.catalog import ORDER_STATUSES, PAYMENT_METHODS, money
from mall.demo import SHOWCASE_ORDER_IDS
from mall.orders import Order
from mall.outcomes import HANDOFF_REASON_LABELS
from mall.store import OrderStore
from mall.tickets import CLOSE_REASON_LABELS, TICKET_STATUS_LABELS
from webapp import security
from webapp.agent import AgentSettings, add_agent_console
from webapp.metrics import add_metrics
from webapp.shop import ShopSettings, add_shop, signed_in_customer

WEB_ROOT = settings.ROOT / "web"
NO_CACHE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Settings:
    rasa_port: int = settings.PORTS.rasa  # where the browser finds the Rasa socket.io channel
    orders_db: Union[str, Path] = settings.DEFAULT_ORDERS_DB  # the orders the page lists (a file or a URL)
    agent: Optional[AgentSettings] = None  # None: the console is switched off
    mall_secret: Optional[str] = None  # signs customer tokens; None: nobody can sign in


SETTINGS = web.AppKey("settings", Settings)
PAGE_STORE = web.AppKey("page_store", OrderStore)


def create_app(app_settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = app_settings
    security.install(app, app_settings.rasa_port)
    add_shop(app, ShopSettings(mall_secret=app_settings.mall_secret), PAGE_STORE)
    app.router.add_get("/", page("index.html"))
    app.router.add_get("/config.js", front_end_config)
    app.router.add_get("/api/orders", showcase_orders)
    app.router.add_get("/agent", page("agent.html") if app_settings.agent else console_off)
    app.router.add_static("/static/", WEB_ROOT / "static")
    app.router.add_get("/widget.js", widget_bundle)  # the file web/webchat.json names
    app.cleanup_ctx.append(_page_store)
    add_metrics(app, PAGE_STORE)  # issue 22: Prometheus
    if app_settings.agent:
        add_agent_console(app, app_settings.agent)
    return app


async def _page_store(app: web.Application):
    app[PAGE_STORE] = OrderStore(app[SETTINGS].orders_db)
    yield
    app[PAGE_STORE].close()


def page(name: str) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_ROOT / name, headers=NO_CACHE)

    return handler


async def widget_bundle(request: web.Request) -> web.FileResponse:
    return web.FileResponse(settings.WEBCHAT_BUNDLE, headers=NO_CACHE)


async def console_off(request: web.Request) -> web.Response:
    return web.Response(status=503, text="The agent console needs RASA_TOKEN (the key of Rasa's HTTP API).")


def front_end_constants(app_settings: Settings) -> Dict[str, Any]:
    """The facts the pages show, from their one home in Python."""
    return {
        "rasaPort": app_settings.rasa_port,
        "hotline": support.HOTLINE,
        "agentHours": support.agent_hours(),
        "statuses": {
            code: {"zh": status.zh, "en": status.en, "handling": status.handling.value}
            for code, status in ORDER_STATUSES.items()
        },
        "paymentMethods": {code: {"zh": method.zh, "en": method.en} for code, method in PAYMENT_METHODS.items()},
        "handoffReasons": HANDOFF_REASON_LABELS,
        "helpdesk": {
            "roles": ROLE_LABELS,
            "ticketStatuses": TICKET_STATUS_LABELS,
            "closeReasons": CLOSE_REASON_LABELS,
            "auditActions": AUDIT_LABELS,
            "maxChats": settings.agent_max_chats(),
            "idleMinutes": settings.handoff_idle_minutes(),
        },
    }


async def front_end_config(request: web.Request) -> web.Response:
    body = f"window.MALL = {json.dumps(front_end_constants(request.app[SETTINGS]), ensure_ascii=False)};\n"
    return web.Response(text=body, content_type="application/javascript", headers=NO_CACHE)


async def showcase_orders(request: web.Request) -> web.Response:
    """The orders the page lists, as they are in the database now: the signed-in customer's
    own, or, for everyone else, one demo order of each kind the assistant handles."""
    store = request.app[PAGE_STORE]
    customer = signed_in_customer(request, store)
    orders: List[Order]
    if customer is not None:
        orders = store.orders.of(customer)
    else:
        orders = [order for order in map(store.orders.get, SHOWCASE_ORDER_IDS) if order]
    return web.json_response(
        {
            "orders": [
                {
                    "id": order.order_id,
                    "item": "、".join(item["name"] for item in order.items),
                    "status": order.status,
                    "total": money(order.total),
                    "date": order.created_at[:10],
                }
                for order in orders
            ]
        },
        headers={"Cache-Control": "no-store"},
    )
