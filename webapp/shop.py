"""The mall's side of the customer: the chat cookie, the demo sign-in, the customer token.

This server plays the mall. Each browser gets a random chat secret in an HttpOnly,
SameSite=Strict session cookie (mall.identity.CHAT_COOKIE); the chat widget's conversation
is derived from it on the Rasa server, so it belongs to this browser only, and it is gone
when the browser closes. Signing in (as one of the demo customers) and signing out each
give the browser a new chat secret, so a new conversation: what was said before is not
carried into the signed-in conversation, nor out of it.

A signed-in browser gets, from GET /api/session, a short-lived token (mall.identity, signed
with MALL_SECRET) naming the customer and bound to this browser's conversation; the page
hands it to the widget, which sends it with every message. Sign-ins are kept here, in
memory: signing out ends one at once, and a restart of this server signs everyone out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from aiohttp import web

from mall import settings
from mall.identity import CHAT_COOKIE, conversation_id, issue_token, new_chat_secret
from mall.orders import Customer
from mall.privacy import mask_phone
from mall.store import OrderStore
from webapp.security import state_change


@dataclass(frozen=True)
class ShopSettings:
    mall_secret: Optional[str]  # None: nobody can sign in (the page stays anonymous)
    token_seconds: int = settings.CUSTOMER_TOKEN_SECONDS
    login_seconds: int = settings.CUSTOMER_LOGIN_SECONDS


class SignIns:
    """Which conversation (so which browser) is signed in as whom, until when."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_conversation: Dict[str, Tuple[str, float]] = {}

    def sign_in(self, conversation: str, customer_id: str, seconds: int) -> None:
        self._by_conversation[conversation] = (customer_id, self._clock() + seconds)

    def customer_id(self, conversation: str) -> Optional[str]:
        signed_in = self._by_conversation.get(conversation)
        if signed_in is None:
            return None
        if signed_in[1] <= self._clock():
            del self._by_conversation[conversation]
            return None
        return signed_in[0]

    def sign_out(self, conversation: str) -> None:
        self._by_conversation.pop(conversation, None)


SHOP = web.AppKey("shop_settings", ShopSettings)
SIGN_INS = web.AppKey("sign_ins", SignIns)


def _set_chat_cookie(response: web.StreamResponse, secret: str) -> None:
    # A session cookie: the next person at a shared computer starts a conversation of their own.
    response.set_cookie(CHAT_COOKIE, secret, httponly=True, samesite="Strict", path="/")


def chat_secret(request: web.Request) -> Optional[str]:
    return request.cookies.get(CHAT_COOKIE) or None


def signed_in_customer(request: web.Request, store: OrderStore) -> Optional[Customer]:
    secret = chat_secret(request)
    if secret is None:
        return None
    customer_id = request.app[SIGN_INS].customer_id(conversation_id(secret))
    return store.orders.customer(customer_id) if customer_id else None


def _public(customer: Customer) -> Dict[str, Any]:
    return {
        "id": customer.customer_id,
        "name": {"zh": customer.name_zh, "en": customer.name_en},
        "phone": mask_phone(customer.phone),
    }


class ShopRoutes:
    """The customer's side of the page; `store_key` names the app's order store."""

    def __init__(self, shop: ShopSettings, store_key: web.AppKey) -> None:
        self._shop = shop
        self._store_key = store_key

    def _store(self, request: web.Request) -> OrderStore:
        return request.app[self._store_key]

    async def session(self, request: web.Request) -> web.Response:
        """This browser's conversation, who is signed in, and a fresh token for the widget."""
        secret = chat_secret(request)
        new = secret is None
        secret = secret or new_chat_secret()
        conversation = conversation_id(secret)
        customer = None if new else signed_in_customer(request, self._store(request))
        body: Dict[str, Any] = {
            "conversation_id": conversation,
            "customer": _public(customer) if customer else None,
            "token": None,
            "token_seconds": self._shop.token_seconds,
            "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
            "sign_in": bool(self._shop.mall_secret),
        }
        if customer is not None and self._shop.mall_secret:
            body["token"] = issue_token(
                self._shop.mall_secret, customer.customer_id, conversation, self._shop.token_seconds
            )
        response = web.json_response(body, headers={"Cache-Control": "no-store"})
        if new:
            _set_chat_cookie(response, secret)
        return response

    async def customers(self, request: web.Request) -> web.Response:
        listed = [_public(c) for c in self._store(request).orders.customers()] if self._shop.mall_secret else []
        return web.json_response({"customers": listed}, headers={"Cache-Control": "no-store"})

    async def login(self, request: web.Request) -> web.Response:
        body = await state_change(request)
        if not self._shop.mall_secret:
            raise web.HTTPServiceUnavailable(text="signing in needs MALL_SECRET")
        customer = self._store(request).orders.customer(str(body.get("customer_id") or ""))
        if customer is None:
            raise web.HTTPBadRequest(text="no such customer")
        return self._new_conversation(request, customer)

    async def logout(self, request: web.Request) -> web.Response:
        await state_change(request)
        return self._new_conversation(request, None)

    def _new_conversation(self, request: web.Request, customer: Optional[Customer]) -> web.Response:
        """Whatever this browser was signed in as ends; it gets a new chat secret (a new
        conversation), signed in as `customer` if one is given."""
        old = chat_secret(request)
        if old is not None:
            request.app[SIGN_INS].sign_out(conversation_id(old))
        secret = new_chat_secret()
        if customer is not None:
            request.app[SIGN_INS].sign_in(conversation_id(secret), customer.customer_id, self._shop.login_seconds)
        response = web.json_response({"ok": True, "customer": _public(customer) if customer else None})
        _set_chat_cookie(response, secret)
        return response


def add_shop(app: web.Application, shop: ShopSettings, store_key: web.AppKey) -> None:
    """Routes of the customer's side; `store_key` names the app's order store."""
    app[SHOP] = shop
    app[SIGN_INS] = SignIns()
    routes = ShopRoutes(shop, store_key)
    app.router.add_get("/api/session", routes.session)
    app.router.add_get("/api/customers", routes.customers)
    app.router.add_post("/api/login", routes.login)
    app.router.add_post("/api/logout", routes.logout)
