"""What the agent console's tests share: the agents' accounts (ACCOUNTS, `add_accounts`), a
stand-in for Rasa's HTTP API that refuses any call without a JWT signed with the key and
records what the console asks of it (FakeRasa), the console's app on a new order store
(`with_console`), and browsers signed in as one of the agents."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mall.agents import AgentRole
from mall.store import OrderStore
from mall.support import WAITING_FOR_AGENT_SLOT
from tests.support import demo_store
from webapp.agent import AgentSettings
from webapp.console_auth import CSRF_HEADER
from webapp.server import Settings, create_app

TOKEN = "rasa-jwt-key-of-at-least-32-characters"
WAIT_ENDS = {"event": "slot", "name": WAITING_FOR_AGENT_SLOT, "value": None}
# name: (display name, English display name, role, password)
ACCOUNTS = {
    "wang": ("小王", "Wang", AgentRole.AGENT, "wang-password"),
    "li": ("小李", "Li", AgentRole.AGENT, "li-password"),
    "chen": ("主管老陈", "Chen", AgentRole.SUPERVISOR, "chen-password"),
}


class FakeRasa:
    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self.waiting: Set[str] = set()  # conversations waiting for an agent
        self.failing = False  # every call answers 503, as a Rasa server that is down

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/conversations/{sender}/tracker", self.tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self.record)
        app.router.add_post("/conversations/{sender}/execute", self.record)
        return app

    def _authorised(self, request: web.Request) -> None:
        """As Rasa started with --jwt-secret: a Bearer JWT signed with the key, never a
        token in the URL (where proxies and access logs keep it)."""
        assert "token" not in request.query
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            jwt.decode(token, TOKEN, algorithms=["HS256"])
        except jwt.PyJWTError as bad:
            raise web.HTTPUnauthorized() from bad
        if scheme != "Bearer":
            raise web.HTTPUnauthorized()
        if self.failing:
            raise web.HTTPServiceUnavailable()

    async def tracker(self, request: web.Request) -> web.Response:
        self._authorised(request)
        sender = request.match_info["sender"]
        slots = {WAITING_FOR_AGENT_SLOT: True if sender in self.waiting else None}
        return web.json_response({"events": self.events.get(sender, []), "slots": slots})

    async def record(self, request: web.Request) -> web.Response:
        self._authorised(request)
        body = await request.json()
        sender = request.match_info["sender"]
        self.calls.append({"path": request.path, "query": dict(request.query), "body": body, "sender": sender})
        if body == WAIT_ENDS:
            self.waiting.discard(sender)
        return web.json_response({})

    def bodies(self, sender: Optional[str] = None) -> List[Dict[str, Any]]:
        return [call["body"] for call in self.calls if sender is None or call["sender"] == sender]


Scenario = Callable[[TestClient, FakeRasa, OrderStore], Awaitable[None]]


def nobody_online(store: OrderStore, seconds: float = 10.0) -> None:
    """Until no agent is online: a console closed by the test before is noticed within a
    second or so (webapp.console_live), and until then it would take the next ticket."""
    deadline = time.monotonic() + seconds
    while store.agents.online():
        assert time.monotonic() < deadline, f"agents still online: {store.agents.online()}"
        time.sleep(0.1)


def add_accounts(store: OrderStore) -> None:
    """ACCOUNTS, those not there yet."""
    for name, (display_name, english, role, password) in ACCOUNTS.items():
        if store.agents.get(name) is None:
            store.agents.add(name, display_name, role, password, "test", english)


def with_console(
    tmp_path: Path, scenario: Scenario, agent: bool = True, clock: Any = None, conversations_db: Optional[Path] = None
) -> None:
    """`scenario(client, rasa, store)` against the page's app with the console on a new
    order store (the demo orders, ACCOUNTS); `clock` is the test's store's clock;
    `conversations_db`, the conversation store the console reads (none by default)."""
    store = demo_store(tmp_path / "orders.db", clock=clock)
    add_accounts(store)

    async def main() -> None:
        rasa = FakeRasa()
        rasa_server = TestServer(rasa.app())
        await rasa_server.start_server()
        settings = Settings(
            agent=AgentSettings(
                rasa_url=str(rasa_server.make_url("")),
                rasa_token=TOKEN,
                orders_db=str(tmp_path / "orders.db"),
                conversations_db=str(conversations_db) if conversations_db else None,
            )
            if agent
            else None
        )
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            await scenario(client, rasa, store)
        finally:
            await client.close()
            await rasa_server.close()

    try:
        asyncio.run(main())
    finally:
        store.close()


async def sign_in(client: TestClient, name: str = "wang") -> str:
    """Signs in; the client then sends the session's CSRF token with every request, as the
    console's script does."""
    response = await client.post("/agent/login", json={"name": name, "password": ACCOUNTS[name][3]})
    assert response.status == 200, await response.text()
    csrf = (await response.json())["csrf"]
    client.session.headers[CSRF_HEADER] = csrf
    return csrf


class Browser:
    """Another browser at the same console: its own cookies and CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def sign_in(self, name: str) -> None:
        response = await self.post("/agent/login", {"name": name, "password": ACCOUNTS[name][3]})
        assert response.status == 200, await response.text()
        self.session.headers[CSRF_HEADER] = (await response.json())["csrf"]

    async def get(self, path: str) -> aiohttp.ClientResponse:
        return await self.session.get(self._client.make_url(path))

    async def post(self, path: str, body: Optional[Dict[str, Any]] = None) -> aiohttp.ClientResponse:
        return await self.session.post(self._client.make_url(path), json=body if body is not None else {})

    async def json(self, path: str) -> Any:
        response = await self.get(path)
        assert response.status == 200, (path, response.status, await response.text())
        return await response.json()

    async def close(self) -> None:
        await self.session.close()


@contextlib.asynccontextmanager
async def signed_in(client: TestClient, name: str) -> AsyncIterator[Browser]:
    browser = Browser(client)
    try:
        await browser.sign_in(name)
        yield browser
    finally:
        await browser.close()
