"""Agent console: human agents answer the customers the assistant handed over.

Agents sign in with the secret in AGENT_SECRET. The console lists open tickets (newest
first) with the live conversation read from Rasa's tracker; a reply is injected into the
conversation through Rasa's HTTP API and reaches the customer's widget at once; closing a
ticket ends the customer's wait for an agent and lets the assistant say, in the customer's
language, that it is back. Phone numbers are masked before anything reaches the browser.

Rasa's HTTP API takes its `--auth-token` only as a `?token=` query parameter (Rasa 3.6's
server.requires_auth), where proxies and access logs keep it; it also accepts a JWT in the
Authorization header when started with `--jwt-secret`. So RASA_TOKEN is that JWT key: each
call carries a JWT valid for a minute, in a header, and the key never leaves this server.

Sign-in and sessions: attempts are checked one at a time with a pause after a wrong
secret, so parallel guesses wait in line, and a client with too many wrong ones is turned
away for a while. A session is a random token in an HttpOnly, SameSite=Strict cookie,
kept here, so signing out ends it at once. Every request that changes something needs the
session's CSRF token in a header (X-CSRF-Token, which the console's script reads from
/agent/api/me), a JSON body and no foreign Origin (webapp.security).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple
from urllib.parse import quote

import aiohttp
import jwt
from aiohttp import web

from mall.conversations import ConversationLog
from mall.identity import client_address
from mall.privacy import mask_phones_in_text
from mall.store import OrderStore
from mall.support import WAITING_FOR_AGENT_SLOT
from mall.tickets import Ticket, TicketStatus
from mall.transcripts import conversation_lines
from webapp.security import json_object, require_same_origin, state_change

COOKIE = "agent_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 12 * 3600
FAILED_LOGIN_DELAY = 1.0  # seconds after a wrong secret, while the next attempt waits
FAILURES_BEFORE_LOCKOUT = 5  # wrong secrets from one client within LOCKOUT_SECONDS ...
LOCKOUT_SECONDS = 15 * 60  # ... and it is turned away until the oldest of them is this old
MAX_WAITING_ATTEMPTS = 8  # more attempts than this in line are turned away at once
RASA_JWT_SECONDS = 60
LIVE_CHANNEL = "socketio"  # where the customers' widgets listen


@dataclass(frozen=True)
class AgentSettings:
    secret: str
    rasa_url: str
    rasa_token: str  # the JWT key Rasa was started with (--jwt-secret)
    orders_db: str
    conversations_db: Optional[str] = None  # where the Rasa server records who is connected


def rasa_api_headers(key: str) -> Dict[str, str]:
    """What a call of Rasa's HTTP API carries: a JWT signed with the key Rasa was started
    with (--jwt-secret), valid for a minute."""
    claims = {"user": {"username": "agent-console", "role": "admin"}, "exp": int(time.time()) + RASA_JWT_SECONDS}
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='HS256')}"}


class RasaAPI:
    """The few calls of Rasa's HTTP API the console needs, each with a short JWT in the
    Authorization header."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession):
        self._base_url = base_url.rstrip("/")
        self._key = token
        self._session = session

    def _headers(self) -> Dict[str, str]:
        return rasa_api_headers(self._key)

    def _url(self, sender_id: str, path: str) -> str:
        return f"{self._base_url}/conversations/{quote(sender_id, safe='')}/{path}"

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        url = self._url(sender_id, "tracker")
        async with self._session.get(
            url, params={"include_events": "AFTER_RESTART"}, headers=self._headers()
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def events(self, sender_id: str) -> List[Dict[str, Any]]:
        return (await self.tracker(sender_id)).get("events", [])

    async def say_as_agent(self, sender_id: str, text: str) -> None:
        event = {"event": "bot", "text": text, "metadata": {"from_agent": True}}
        params = {"output_channel": LIVE_CHANNEL, "execute_side_effects": "true"}
        url = self._url(sender_id, "tracker/events")
        async with self._session.post(url, params=params, json=event, headers=self._headers()) as response:
            response.raise_for_status()

    async def hand_back_to_assistant(self, sender_id: str) -> None:
        """End the wait for an agent, let the assistant say it is back, and wait for the
        customer. The final action_listen is what Rasa logs itself before a customer turn;
        without it no rule matches the customer's next message. A conversation that is not
        waiting is left as it is, so a repeated call (a retried close) changes nothing."""
        slots = (await self.tracker(sender_id)).get("slots") or {}
        if not slots.get(WAITING_FOR_AGENT_SLOT):
            return
        await self._add_event(sender_id, {"event": "slot", "name": WAITING_FOR_AGENT_SLOT, "value": None})
        url = self._url(sender_id, "execute")
        params = {"output_channel": LIVE_CHANNEL}
        async with self._session.post(
            url, params=params, json={"name": "utter_assistant_back"}, headers=self._headers()
        ) as response:
            response.raise_for_status()
        await self._add_event(sender_id, {"event": "action", "name": "action_listen"})

    async def _add_event(self, sender_id: str, event: Dict[str, Any]) -> None:
        url = self._url(sender_id, "tracker/events")
        async with self._session.post(url, json=event, headers=self._headers()) as response:
            response.raise_for_status()


@dataclass
class _Session:
    expires_at: float
    csrf: str


class AgentSessions:
    """Signed-in agents, by a hash of their cookie's token."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: Dict[str, _Session] = {}

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def start(self) -> Tuple[str, str]:
        """A new session: its cookie token and its CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._sessions[self._key(token)] = _Session(self._clock() + SESSION_SECONDS, csrf)
        return token, csrf

    def get(self, token: Optional[str]) -> Optional[_Session]:
        if not token:
            return None
        session = self._sessions.get(self._key(token))
        if session is None or session.expires_at <= self._clock():
            return None
        return session

    def end(self, token: Optional[str]) -> None:
        if token:
            self._sessions.pop(self._key(token), None)


@dataclass
class SignInGate:
    """One attempt at a time, a pause after each wrong one, and a lockout per client."""

    clock: Callable[[], float] = time.monotonic
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    failures: Dict[str, Deque[float]] = field(default_factory=dict)

    def locked_out_for(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        recent = self.failures.get(client)
        now = self.clock()
        while recent and recent[0] <= now - LOCKOUT_SECONDS:
            recent.popleft()
        if not recent or len(recent) < FAILURES_BEFORE_LOCKOUT:
            return 0.0
        return recent[0] + LOCKOUT_SECONDS - now

    def failed(self, client: str) -> None:
        self.failures.setdefault(client, deque()).append(self.clock())


AGENT_SETTINGS = web.AppKey("agent_settings", AgentSettings)
SESSIONS = web.AppKey("agent_sessions", AgentSessions)
GATE = web.AppKey("agent_sign_in_gate", SignInGate)
STORE = web.AppKey("store", OrderStore)
CONVERSATIONS = web.AppKey("conversations", ConversationLog)
RASA = web.AppKey("rasa", RasaAPI)

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _session(request: web.Request) -> Optional[_Session]:
    return request.app[SESSIONS].get(request.cookies.get(COOKIE))


@web.middleware
async def require_agent(request: web.Request, handler):
    if request.path.startswith("/agent/api/"):
        session = _session(request)
        if session is None:
            raise web.HTTPUnauthorized(text="sign in first")
        if request.method in _UNSAFE_METHODS:
            require_same_origin(request)
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), session.csrf.encode()):
                raise web.HTTPForbidden(text=f"missing or wrong {CSRF_HEADER}")
            await json_object(request)  # a JSON body, or a 4xx here
    return await handler(request)


def _customer_presence(request: web.Request, ticket: Ticket) -> Dict[str, Any]:
    """Whether the customer's widget is connected now, and since when it is not."""
    conversations = request.app.get(CONVERSATIONS)
    if conversations is None:
        return {"customer_online": None, "customer_left_at": None}
    presence = conversations.presence(ticket.sender_id)
    left_at = None
    if presence.left_at is not None and not presence.online:
        left_at = datetime.fromtimestamp(presence.left_at, timezone.utc).isoformat(timespec="seconds")
    return {"customer_online": presence.online, "customer_left_at": left_at}


def _shown(request: web.Request, ticket: Ticket) -> Dict[str, Any]:
    return {**_public(ticket), **_customer_presence(request, ticket)}


# What the console shows of a ticket (no transcript blob, no sender internals).
_PUBLIC_FIELDS = (
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


def _public(ticket: Ticket) -> Dict[str, Any]:
    return {field: getattr(ticket, field) for field in _PUBLIC_FIELDS}


async def login(request: web.Request) -> web.Response:
    body = await state_change(request)
    given = body.get("secret")
    if not isinstance(given, str):
        raise web.HTTPBadRequest(text='send {"secret": "..."}')
    gate = request.app[GATE]
    client = client_address(request.remote, request.headers.get("X-Forwarded-For")) or "unknown"
    wait = gate.locked_out_for(client)
    if wait or gate.waiting >= MAX_WAITING_ATTEMPTS:
        retry = str(int(wait) + 1 if wait else int(FAILED_LOGIN_DELAY * MAX_WAITING_ATTEMPTS))
        return web.json_response({"error": "too many attempts, try later"}, status=429, headers={"Retry-After": retry})
    gate.waiting += 1
    try:
        async with gate.lock:  # one attempt at a time: parallel guesses wait in line
            if not hmac.compare_digest(given.encode(), request.app[AGENT_SETTINGS].secret.encode()):
                gate.failed(client)
                await asyncio.sleep(FAILED_LOGIN_DELAY)
                return web.json_response({"error": "wrong secret"}, status=401)
    finally:
        gate.waiting -= 1
    token, csrf = request.app[SESSIONS].start()
    response = web.json_response({"ok": True, "csrf": csrf})
    response.set_cookie(COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="Strict", path="/agent")
    return response


async def logout(request: web.Request) -> web.Response:
    """Ends the session here, not only in this browser: the old cookie opens nothing."""
    require_same_origin(request)
    session = _session(request)
    if session is not None and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, "").encode(), session.csrf.encode()
    ):
        raise web.HTTPForbidden(text=f"missing or wrong {CSRF_HEADER}")
    request.app[SESSIONS].end(request.cookies.get(COOKIE))
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/agent")
    return response


async def me(request: web.Request) -> web.Response:
    session = _session(request)
    assert session is not None  # require_agent
    return web.json_response({"signed_in": True, "csrf": session.csrf}, headers={"Cache-Control": "no-store"})


async def list_tickets(request: web.Request) -> web.Response:
    tickets = request.app[STORE].tickets.listed(TicketStatus.OPEN)
    return web.json_response({"tickets": [_shown(request, ticket) for ticket in tickets]})


def _ticket_or_404(request: web.Request) -> Ticket:
    ticket = request.app[STORE].tickets.get(request.match_info["ticket_id"])
    if ticket is None:
        raise web.HTTPNotFound(text="no such ticket")
    return ticket


async def show_ticket(request: web.Request) -> web.Response:
    ticket = _ticket_or_404(request)
    events = await request.app[RASA].events(ticket.sender_id)
    # The live conversation (the ticket keeps its own snapshot from the handoff).
    return web.json_response({"ticket": _shown(request, ticket), "messages": conversation_lines(events)})


async def reply(request: web.Request) -> web.Response:
    ticket = _ticket_or_404(request)
    if not ticket.is_open:
        raise web.HTTPConflict(text="the ticket is closed")
    text = str((await json_object(request)).get("text", "")).strip()
    if not text or len(text) > 2000:
        raise web.HTTPBadRequest(text="a reply needs 1 to 2000 characters")
    await request.app[RASA].say_as_agent(ticket.sender_id, mask_phones_in_text(text))
    request.app[STORE].tickets.mark_agent_joined(ticket.ticket_id)  # the assistant keeps quiet from now on
    return web.json_response({"ok": True})


async def close(request: web.Request) -> web.Response:
    """Hand the conversation back first, then close the ticket: if either step fails the
    ticket stays open and closing it again finishes the job (both steps are repeatable)."""
    ticket = _ticket_or_404(request)
    if ticket.is_open:
        try:
            await request.app[RASA].hand_back_to_assistant(ticket.sender_id)
        except aiohttp.ClientError as failure:
            raise web.HTTPBadGateway(
                text=f"the assistant could not take the conversation back ({failure}); "
                "the ticket is still open, try again"
            ) from failure
        request.app[STORE].tickets.close(ticket.ticket_id)
    return web.json_response({"ok": True})


def add_agent_console(app: web.Application, settings: AgentSettings) -> None:
    app[AGENT_SETTINGS] = settings
    app[SESSIONS] = AgentSessions()
    app[GATE] = SignInGate()
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
