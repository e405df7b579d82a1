"""Agent console: human agents answer the customers the assistant handed over.

Agents sign in with the secret in AGENT_SECRET. The console lists open tickets (newest
first) with the live conversation read from Rasa's tracker; a reply is injected into the
conversation through Rasa's HTTP API and reaches the customer's widget at once; closing a
ticket resumes the paused conversation and lets the assistant say, in the customer's
language, that it is back. Rasa's API needs RASA_TOKEN; only this server holds it.
Phone numbers are masked before anything reaches the browser.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp
from aiohttp import web

from mall.conversations import ConversationLog
from mall.privacy import mask_phones_in_text
from mall.store import OrderStore
from mall.transcripts import conversation_lines

COOKIE = "agent_session"
SESSION_SECONDS = 12 * 3600
FAILED_LOGIN_DELAY = 1.0  # seconds; slows down guessing the secret
LIVE_CHANNEL = "socketio"  # where the customers' widgets listen


@dataclass(frozen=True)
class AgentSettings:
    secret: str
    rasa_url: str
    rasa_token: str
    orders_db: str
    conversations_db: Optional[str] = None  # where the Rasa server records who is connected


class RasaAPI:
    """The few calls of Rasa's HTTP API the console needs, always with the token."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession):
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._session = session

    def _url(self, sender_id: str, path: str, **params: str) -> str:
        query = "&".join(f"{key}={quote(value)}" for key, value in {"token": self._token, **params}.items())
        return f"{self._base_url}/conversations/{quote(sender_id, safe='')}/{path}?{query}"

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        async with self._session.get(self._url(sender_id, "tracker", include_events="AFTER_RESTART")) as response:
            response.raise_for_status()
            return await response.json()

    async def events(self, sender_id: str) -> List[Dict[str, Any]]:
        return (await self.tracker(sender_id)).get("events", [])

    async def say_as_agent(self, sender_id: str, text: str) -> None:
        event = {"event": "bot", "text": text, "metadata": {"from_agent": True}}
        url = self._url(sender_id, "tracker/events", output_channel=LIVE_CHANNEL, execute_side_effects="true")
        async with self._session.post(url, json=event) as response:
            response.raise_for_status()

    async def hand_back_to_assistant(self, sender_id: str) -> None:
        """Resume the bot, let it say it is back, and wait for the customer. The final
        action_listen is what Rasa logs itself before a customer turn; without it no rule
        matches the customer's next message. A conversation that is not paused is left as
        it is, so a repeated call (a retried close) changes nothing."""
        if not (await self.tracker(sender_id)).get("paused"):
            return
        await self._add_event(sender_id, {"event": "resume"})
        url = self._url(sender_id, "execute", output_channel=LIVE_CHANNEL)
        async with self._session.post(url, json={"name": "utter_assistant_back"}) as response:
            response.raise_for_status()
        await self._add_event(sender_id, {"event": "action", "name": "action_listen"})

    async def _add_event(self, sender_id: str, event: Dict[str, Any]) -> None:
        async with self._session.post(self._url(sender_id, "tracker/events"), json=event) as response:
            response.raise_for_status()


AGENT_SETTINGS = web.AppKey("agent_settings", AgentSettings)
SESSION_KEY = web.AppKey("agent_session_key", bytes)
STORE = web.AppKey("store", OrderStore)
CONVERSATIONS = web.AppKey("conversations", ConversationLog)
RASA = web.AppKey("rasa", RasaAPI)


def _sign(key: bytes, expires: int) -> str:
    return hmac.new(key, str(expires).encode(), hashlib.sha256).hexdigest()


def _signed_in(request: web.Request) -> bool:
    value = request.cookies.get(COOKIE, "")
    expires, _, signature = value.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature, _sign(request.app[SESSION_KEY], int(expires)))


@web.middleware
async def require_agent(request: web.Request, handler):
    if request.path.startswith("/agent/api/") and not _signed_in(request):
        raise web.HTTPUnauthorized(text="sign in first")
    return await handler(request)


def _customer_presence(request: web.Request, ticket: Dict[str, Any]) -> Dict[str, Any]:
    """Whether the customer's widget is connected now, and since when it is not."""
    conversations = request.app.get(CONVERSATIONS)
    if conversations is None:
        return {"customer_online": None, "customer_left_at": None}
    presence = conversations.presence(ticket["sender_id"])
    left_at = None
    if presence.left_at is not None and not presence.online:
        left_at = datetime.fromtimestamp(presence.left_at, timezone.utc).isoformat(timespec="seconds")
    return {"customer_online": presence.online, "customer_left_at": left_at}


def _shown(request: web.Request, ticket: Dict[str, Any]) -> Dict[str, Any]:
    return {**_public(ticket), **_customer_presence(request, ticket)}


def _public(ticket: Dict[str, Any]) -> Dict[str, Any]:
    """What the console shows of a ticket (no transcript blob, no sender internals)."""
    keys = (
        "ticket_id",
        "order_id",  # proved by the customer
        "claimed_order_id",  # given, not proved
        "reason",
        "status",
        "language",
        "requested_method",
        "created_at",
        "closed_at",
        "agent_joined_at",
    )
    return {key: ticket.get(key) for key in keys}


async def login(request: web.Request) -> web.Response:
    body = await request.json() if request.content_type == "application/json" else await request.post()
    given = str(body.get("secret", ""))
    if not hmac.compare_digest(given.encode(), request.app[AGENT_SETTINGS].secret.encode()):
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        return web.json_response({"error": "wrong secret"}, status=401)
    expires = int(time.time()) + SESSION_SECONDS
    response = web.json_response({"ok": True})
    response.set_cookie(
        COOKIE,
        f"{expires}.{_sign(request.app[SESSION_KEY], expires)}",
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        path="/agent",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/agent")
    return response


async def me(request: web.Request) -> web.Response:
    return web.json_response({"signed_in": True})


async def list_tickets(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return web.json_response({"tickets": [_shown(request, t) for t in store.tickets(status="open")]})


def _ticket_or_404(request: web.Request) -> Dict[str, Any]:
    ticket = request.app[STORE].get_ticket(request.match_info["ticket_id"])
    if ticket is None:
        raise web.HTTPNotFound(text="no such ticket")
    return ticket


async def show_ticket(request: web.Request) -> web.Response:
    ticket = _ticket_or_404(request)
    events = await request.app[RASA].events(ticket["sender_id"])
    # The live conversation (the ticket keeps its own snapshot from the handoff).
    return web.json_response({"ticket": _shown(request, ticket), "messages": conversation_lines(events)})


async def reply(request: web.Request) -> web.Response:
    ticket = _ticket_or_404(request)
    if ticket["status"] != "open":
        raise web.HTTPConflict(text="the ticket is closed")
    text = str((await request.json()).get("text", "")).strip()
    if not text or len(text) > 2000:
        raise web.HTTPBadRequest(text="a reply needs 1 to 2000 characters")
    await request.app[RASA].say_as_agent(ticket["sender_id"], mask_phones_in_text(text))
    request.app[STORE].mark_agent_joined(ticket["ticket_id"])  # the assistant keeps quiet from now on
    return web.json_response({"ok": True})


async def close(request: web.Request) -> web.Response:
    """Hand the conversation back first, then close the ticket: if either step fails the
    ticket stays open and closing it again finishes the job (both steps are repeatable)."""
    ticket = _ticket_or_404(request)
    if ticket["status"] == "open":
        try:
            await request.app[RASA].hand_back_to_assistant(ticket["sender_id"])
        except aiohttp.ClientError as failure:
            raise web.HTTPBadGateway(
                text=f"the assistant could not take the conversation back ({failure}); "
                "the ticket is still open, try again"
            ) from failure
        request.app[STORE].close_ticket(ticket["ticket_id"])
    return web.json_response({"ok": True})


def add_agent_console(app: web.Application, settings: AgentSettings) -> None:
    app[AGENT_SETTINGS] = settings
    app[SESSION_KEY] = hashlib.sha256(settings.secret.encode() + secrets.token_bytes(32)).digest()
    app[STORE] = OrderStore(settings.orders_db)
    if settings.conversations_db:
        app[CONVERSATIONS] = ConversationLog(settings.conversations_db)
    app.middlewares.append(require_agent)

    async def open_rasa_client(app: web.Application):
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app[RASA] = RasaAPI(settings.rasa_url, settings.rasa_token, session)
        yield
        await session.close()
        app[STORE].close()
        if CONVERSATIONS in app:
            app[CONVERSATIONS].close()

    app.cleanup_ctx.append(open_rasa_client)
    app.router.add_post("/agent/login", login)
    app.router.add_post("/agent/logout", logout)
    app.router.add_get("/agent/api/me", me)
    app.router.add_get("/agent/api/tickets", list_tickets)
    app.router.add_get("/agent/api/tickets/{ticket_id}", show_ticket)
    app.router.add_post("/agent/api/tickets/{ticket_id}/reply", reply)
    app.router.add_post("/agent/api/tickets/{ticket_id}/close", close)
