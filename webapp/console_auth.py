"""Who is at the agent console: signing in with an agent's own account, sessions, roles.

Sessions: a random token in an HttpOnly, SameSite=Strict cookie, kept here with the agent's
name and their account's `session_version` (mall.agents). Every request of /agent/api/ reads
the account again: a disabled agent, or one whose password was reset, is signed out at once
(the live channel too: webapp.console_live). Signing out ends the session here, not only in
the browser. Every request that changes something needs the session's CSRF token in a header
(X-CSRF-Token, which the console's script gets from /agent/login or /agent/api/me), a JSON
body and no foreign Origin (webapp.security).

Sign-in that strangers cannot block: wrong passwords are counted per account and per client
address. Attempts at one account, and from one client, are checked one at a time, with a
pause after a wrong one; once one of them has FAILURES_BEFORE_PAUSE recent failures, every
attempt at it waits PAUSE_SECONDS more first. So guessing is slow, and more attempts than
MAX_WAITING in one line are turned away (429) until it moves; but nothing is ever locked:
the right password from a busy client (the agents' shared NAT, say) gets in after the pause.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Deque, Dict, List, Optional, Tuple

from aiohttp import web

from mall.agents import Agent
from mall.conversations import ConversationLog
from mall.identity import client_address
from mall.store import OrderStore
from webapp.security import json_object, require_same_origin, state_change

COOKIE = "agent_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 12 * 3600
WRONG_PASSWORD_DELAY = 1.0  # seconds after a wrong password, while the next attempt in line waits
FAILURES_BEFORE_PAUSE = 5  # wrong passwords at one account, or from one client, within ...
FAILURE_WINDOW_SECONDS = 15 * 60  # ... this long, and each attempt at it first waits ...
PAUSE_SECONDS = 3.0  # ... this long
MAX_WAITING = 8  # attempts in one line (an account's, a client's); more are turned away
MAX_NAME_CHARS = 64
SWEEP_EVERY = 100  # attempts between sweeps of the lines nobody is in

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Session:
    agent: str
    version: int  # the account's session_version when it signed in
    csrf: str
    expires_at: float


class AgentSessions:
    """Signed-in agents, by a hash of their cookie's token."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: Dict[str, Session] = {}

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def start(self, agent: Agent) -> Tuple[str, str]:
        """A new session: its cookie token and its CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._sessions[self._key(token)] = Session(
            agent.name, agent.session_version, csrf, self._clock() + SESSION_SECONDS
        )
        return token, csrf

    def get(self, token: Optional[str]) -> Optional[Session]:
        if not token:
            return None
        session = self._sessions.get(self._key(token))
        if session is None or session.expires_at <= self._clock():
            return None
        return session

    def end(self, token: Optional[str]) -> None:
        if token:
            self._sessions.pop(self._key(token), None)


class TooManyAttempts(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass
class SignInGuard:
    clock: Callable[[], float] = time.monotonic
    failures: Dict[str, Deque[float]] = field(default_factory=lambda: defaultdict(deque))
    lines: Dict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    waiting: Dict[str, int] = field(default_factory=lambda: defaultdict(int))
    attempts: int = 0

    def slowed(self, key: str) -> bool:
        recent = self.failures[key]
        while recent and recent[0] <= self.clock() - FAILURE_WINDOW_SECONDS:
            recent.popleft()
        return len(recent) >= FAILURES_BEFORE_PAUSE

    async def attempt(self, keys: List[str], check: Callable[[], Awaitable[Optional[Agent]]]) -> Optional[Agent]:
        """`check` the password once it is these keys' turn; its agent, or None."""
        keys = sorted(set(keys))  # locks always taken in the same order: no two attempts wait on each other
        self.attempts += 1
        if self.attempts % SWEEP_EVERY == 0:
            for known in list(self.waiting):
                self._forget_if_idle(known)
        if any(self.waiting[key] >= MAX_WAITING for key in keys):
            raise TooManyAttempts(MAX_WAITING * (WRONG_PASSWORD_DELAY + PAUSE_SECONDS))
        for key in keys:
            self.waiting[key] += 1
        try:
            async with AsyncExitStack() as held:
                for key in keys:
                    await held.enter_async_context(self.lines[key])
                if any(self.slowed(key) for key in keys):
                    await asyncio.sleep(PAUSE_SECONDS)
                agent = await check()
                if agent is None:
                    for key in keys:
                        self.failures[key].append(self.clock())
                    await asyncio.sleep(WRONG_PASSWORD_DELAY)
                return agent
        finally:
            for key in keys:
                self.waiting[key] -= 1
                self._forget_if_idle(key)

    def _forget_if_idle(self, key: str) -> None:
        """Nothing is kept of a line nobody is in and nobody failed in lately (else a flood
        of made-up names would fill the memory)."""
        if self.waiting[key] == 0 and not self.slowed(key) and not self.failures[key]:
            self.waiting.pop(key, None)
            self.failures.pop(key, None)
            self.lines.pop(key, None)


SESSIONS = web.AppKey("agent_sessions", AgentSessions)
GUARD = web.AppKey("agent_sign_in_guard", SignInGuard)
STORE = web.AppKey("store", OrderStore)
CONVERSATIONS = web.AppKey("conversations", ConversationLog)  # who is connected (optional)


def _session(request: web.Request) -> Optional[Session]:
    return request.app[SESSIONS].get(request.cookies.get(COOKIE))


def signed_in_agent(app: web.Application, session: Session) -> Optional[Agent]:
    """The session's agent, if the account still lets them in as it did at sign-in."""
    agent = app[STORE].agents.get(session.agent)
    if agent is None or agent.disabled or agent.session_version != session.version:
        return None
    return agent


@web.middleware
async def require_agent(request: web.Request, handler):
    if request.path.startswith("/agent/api/"):
        session = _session(request)
        agent = signed_in_agent(request.app, session) if session else None
        if session is None or agent is None:
            request.app[SESSIONS].end(request.cookies.get(COOKIE))
            raise web.HTTPUnauthorized(text="sign in first")
        if request.method in _UNSAFE_METHODS:
            require_same_origin(request)
            given = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), session.csrf.encode()):
                raise web.HTTPForbidden(text=f"missing or wrong {CSRF_HEADER}")
            await json_object(request)  # a JSON body, or a 4xx here
        request["agent"] = agent
        request["session"] = session
    return await handler(request)


def current_agent(request: web.Request) -> Agent:
    return request["agent"]


def require_supervisor(request: web.Request) -> Agent:
    agent = current_agent(request)
    if not agent.is_supervisor:
        raise web.HTTPForbidden(text="supervisors only")
    return agent


def public_agent(agent: Agent) -> Dict[str, object]:
    return {
        "name": agent.name,
        "display_name": agent.display_name,
        "display_name_en": agent.display_name_en,
        "role": agent.role.value,
    }


async def login(request: web.Request) -> web.Response:
    body = await state_change(request)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or len(name) > MAX_NAME_CHARS:
        raise web.HTTPBadRequest(text='send {"name": "...", "password": "..."}')
    name = name.strip().lower()
    client = client_address(request.remote, request.headers.get("X-Forwarded-For")) or "unknown"
    store = request.app[STORE]

    async def check() -> Optional[Agent]:  # argon2 takes a while: not on the event loop
        return await asyncio.get_running_loop().run_in_executor(None, store.agents.authenticate, name, password)

    try:
        agent = await request.app[GUARD].attempt([f"account:{name}", f"client:{client}"], check)
    except TooManyAttempts as busy:
        headers = {"Retry-After": str(int(busy.retry_after) + 1)}
        return web.json_response({"error": "too many attempts, try again shortly"}, status=429, headers=headers)
    if agent is None:
        return web.json_response({"error": "wrong name or password"}, status=401)
    token, csrf = request.app[SESSIONS].start(agent)
    response = web.json_response({"ok": True, "csrf": csrf, "agent": public_agent(agent)})
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
    body = {"signed_in": True, "csrf": request["session"].csrf, "agent": public_agent(current_agent(request))}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def add_sign_in(app: web.Application) -> None:
    app[SESSIONS] = AgentSessions()
    app[GUARD] = SignInGuard()
    app.middlewares.append(require_agent)
    app.router.add_post("/agent/login", login)
    app.router.add_post("/agent/logout", logout)
    app.router.add_get("/agent/api/me", me)
