"""The agent console's HTTP side, against a stand-in for Rasa's HTTP API that refuses
any call without a JWT signed with the key and records what the console asks of it; and
the console's defences: sign-in limits, sessions that end, CSRF, security headers."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, List, Set

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mall.store import OrderStore
from mall.support import WAITING_FOR_AGENT_SLOT
from tests.support import demo_store
from webapp import agent as console
from webapp.agent import CSRF_HEADER, AgentSettings
from webapp.server import Settings, create_app

SECRET, TOKEN = "open-sesame", "rasa-jwt-key-of-at-least-32-characters"
WAIT_ENDS = {"event": "slot", "name": WAITING_FOR_AGENT_SLOT, "value": None}


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
        self.calls.append({"path": request.path, "query": dict(request.query), "body": body})
        if body == WAIT_ENDS:
            self.waiting.discard(request.match_info["sender"])
        return web.json_response({})


Scenario = Callable[[TestClient, FakeRasa, OrderStore], Awaitable[None]]


def with_console(tmp_path, scenario: Scenario, agent: bool = True) -> None:
    store = demo_store(tmp_path / "orders.db")

    async def main() -> None:
        rasa = FakeRasa()
        rasa_server = TestServer(rasa.app())
        await rasa_server.start_server()
        settings = Settings(
            agent=AgentSettings(
                secret=SECRET,
                rasa_url=str(rasa_server.make_url("")),
                rasa_token=TOKEN,
                orders_db=str(tmp_path / "orders.db"),
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

    asyncio.run(main())


async def sign_in(client: TestClient) -> str:
    """Signs in; the client then sends the session's CSRF token with every request, as the
    console's script does."""
    response = await client.post("/agent/login", json={"secret": SECRET})
    assert response.status == 200
    csrf = (await response.json())["csrf"]
    client.session.headers[CSRF_HEADER] = csrf
    return csrf


def test_wrong_secret_is_refused_and_the_api_stays_closed(tmp_path):
    async def scenario(client, rasa, store):
        response = await client.post("/agent/login", json={"secret": "guess"})
        assert response.status == 401 and "agent_session" not in response.cookies
        assert (await client.get("/agent/api/tickets")).status == 401
        client.session.cookie_jar.update_cookies({"agent_session": "9999999999.forged"})
        assert (await client.get("/agent/api/tickets")).status == 401
        assert (await client.post("/agent/api/tickets/HT1/close", json={})).status == 401
        assert rasa.calls == []

    with_console(tmp_path, scenario)


def test_open_tickets_newest_first_with_phones_masked(tmp_path):
    async def scenario(client, rasa, store):
        older = store.tickets.open("widget-1", "customer_request", "zh")
        newer = store.tickets.open("widget-2", "paid_order", "en", order_id="5201121000000002")
        store.tickets.close(older)
        third = store.tickets.open("widget-3", "verification_failed", "zh")
        rasa.events["widget-2"] = [
            {"event": "user", "text": "my number is 13800001234", "timestamp": 1.0},
            {"event": "bot", "text": "I've passed you to a human agent", "timestamp": 2.0},
            {"event": "action", "name": "action_listen", "timestamp": 2.0},
            {"event": "bot", "text": "Hi, this is Wang", "metadata": {"from_agent": True}, "timestamp": 3.0},
        ]
        await sign_in(client)
        listed = (await (await client.get("/agent/api/tickets")).json())["tickets"]
        assert [t["ticket_id"] for t in listed] == [third, newer]
        assert "transcript" not in listed[0] and "sender_id" not in listed[0]
        shown = await (await client.get(f"/agent/api/tickets/{newer}")).json()
        assert [(m["from"], m["text"]) for m in shown["messages"]] == [
            ("customer", "my number is 138****1234"),
            ("assistant", "I've passed you to a human agent"),
            ("agent", "Hi, this is Wang"),
        ]
        assert "13800001234" not in str(shown)
        assert (await client.get("/agent/api/tickets/HT000")).status == 404

    with_console(tmp_path, scenario)


def test_reply_reaches_the_customers_channel_and_close_hands_back(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-9", "customer_request", "en")
        rasa.waiting.add("widget-9")
        await sign_in(client)
        response = await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "Hello, I'm Wang."})
        assert response.status == 200
        reply = rasa.calls[-1]
        assert reply["path"] == "/conversations/widget-9/tracker/events"
        assert reply["query"]["output_channel"] == "socketio" and reply["query"]["execute_side_effects"] == "true"
        assert reply["body"] == {"event": "bot", "text": "Hello, I'm Wang.", "metadata": {"from_agent": True}}
        assert (await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "  "})).status == 400
        await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "We'll call 138 0000 1234"})
        assert rasa.calls[-1]["body"]["text"] == "We'll call 138 **** 1234"

        assert (await client.post(f"/agent/api/tickets/{ticket}/close", json={})).status == 200
        assert store.tickets.get(ticket).status == "closed"
        assert [call["body"] for call in rasa.calls[-3:]] == [
            WAIT_ENDS,
            {"name": "utter_assistant_back"},
            {"event": "action", "name": "action_listen"},
        ]
        assert rasa.calls[-2]["query"]["output_channel"] == "socketio"
        calls = len(rasa.calls)
        assert (await client.post(f"/agent/api/tickets/{ticket}/close", json={})).status == 200
        assert len(rasa.calls) == calls  # a second close resumes nothing
        assert (await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "late"})).status == 409

    with_console(tmp_path, scenario)


def test_a_close_that_fails_keeps_the_ticket_open_and_can_be_repeated(tmp_path):
    """Rasa unreachable at the close: the customer is still waiting, so the ticket must stay
    in the list; closing again once Rasa is back hands the conversation back once."""

    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-7", "paid_order", "zh")
        rasa.waiting.add("widget-7")
        await sign_in(client)
        rasa.failing = True
        response = await client.post(f"/agent/api/tickets/{ticket}/close", json={})
        assert response.status == 502 and "still open" in await response.text()
        assert store.tickets.get(ticket).status == "open"
        assert [t["ticket_id"] for t in (await (await client.get("/agent/api/tickets")).json())["tickets"]] == [ticket]

        rasa.failing = False
        assert (await client.post(f"/agent/api/tickets/{ticket}/close", json={})).status == 200
        assert store.tickets.get(ticket).status == "closed"
        assert "widget-7" not in rasa.waiting
        assert [call["body"] for call in rasa.calls].count({"name": "utter_assistant_back"}) == 1

    with_console(tmp_path, scenario)


def test_console_is_off_without_a_secret(tmp_path):
    async def scenario(client, rasa, store):
        assert (await client.get("/agent")).status == 503
        assert (await client.post("/agent/login", json={"secret": ""})).status in (404, 405)

    with_console(tmp_path, scenario, agent=False)


@pytest.mark.parametrize("path", ["/", "/agent", "/config.js", "/widget.js"])
def test_pages_are_served(tmp_path, path):
    async def scenario(client, rasa, store):
        assert (await client.get(path)).status == 200

    with_console(tmp_path, scenario)


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("null", "application/json", 400),
        ("{bad", "application/json", 400),
        ("[]", "application/json", 400),
        ('{"secret": 1}', "application/json", 400),
        ("secret=open-sesame", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_sign_in_bodies_are_refused_not_a_500(tmp_path, body, content_type, status):
    async def scenario(client, rasa, store):
        response = await client.post("/agent/login", data=body, headers={"Content-Type": content_type})
        assert response.status == status

    with_console(tmp_path, scenario)


def test_signing_out_ends_the_session_on_the_server(tmp_path):
    async def scenario(client, rasa, store):
        await sign_in(client)
        cookie = client.session.cookie_jar.filter_cookies(client.make_url("/agent/api/tickets"))["agent_session"].value
        assert (await client.post("/agent/logout", json={})).status == 200
        client.session.cookie_jar.update_cookies({"agent_session": cookie})  # the old cookie, kept
        assert (await client.get("/agent/api/tickets")).status == 401

    with_console(tmp_path, scenario)


def test_parallel_guesses_wait_in_line_and_then_are_turned_away(tmp_path, monkeypatch):
    """20 parallel wrong guesses used to take 1.06 s in all."""
    monkeypatch.setattr(console, "FAILED_LOGIN_DELAY", 0.2)

    async def scenario(client, rasa, store):
        started = time.monotonic()
        guesses = [client.post("/agent/login", json={"secret": f"guess-{i}"}) for i in range(20)]
        statuses = sorted(response.status for response in await asyncio.gather(*guesses))
        assert statuses.count(401) == console.MAX_WAITING_ATTEMPTS and statuses.count(429) == 12
        assert time.monotonic() - started >= 0.2 * console.MAX_WAITING_ATTEMPTS  # one after another
        # This client is locked out now, even with the right secret.
        response = await client.post("/agent/login", json={"secret": SECRET})
        assert response.status == 429 and int(response.headers["Retry-After"]) > 60

    with_console(tmp_path, scenario)


FOREIGN = "http://127.0.0.1:9999"  # another port of the same host: the same site for SameSite


def test_forged_console_posts_from_another_page_change_nothing(tmp_path):
    """The review's CSRF: a page on another port posts text/plain forms and no-cors fetches
    with the agent's cookie."""

    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-5", "customer_request", "en")
        rasa.waiting.add("widget-5")
        csrf = await sign_in(client)
        del client.session.headers[CSRF_HEADER]  # another page cannot read it
        reply, close = f"/agent/api/tickets/{ticket}/reply", f"/agent/api/tickets/{ticket}/close"
        forged = [
            (reply, '{"text": "click [here](javascript:alert(1))"}', {"Content-Type": "text/plain", "Origin": FOREIGN}),
            (close, "x=1", {"Content-Type": "application/x-www-form-urlencoded", "Origin": FOREIGN}),
            (reply, '{"text": "forged"}', {"Content-Type": "text/plain"}),  # no Origin header at all
            (reply, '{"text": "forged"}', {"Content-Type": "application/json", "Origin": FOREIGN, CSRF_HEADER: csrf}),
            (close, "{}", {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site", CSRF_HEADER: csrf}),
            (close, "{}", {"Content-Type": "application/json", CSRF_HEADER: "wrong"}),
            (close, "{}", {"Content-Type": "application/json"}),
        ]
        for path, body, headers in forged:
            assert (await client.post(path, data=body, headers=headers)).status in (403, 415), (path, headers)
        assert rasa.calls == [] and store.tickets.get(ticket).status == "open"
        own = {"Content-Type": "application/json", "Origin": str(client.make_url("")).rstrip("/"), CSRF_HEADER: csrf}
        assert (await client.post(close, data="{}", headers=own)).status == 200  # the console itself

    with_console(tmp_path, scenario)


@pytest.mark.parametrize("path", ["/", "/agent", "/api/orders"])
def test_pages_forbid_framing_and_inline_script(tmp_path, path):
    async def scenario(client, rasa, store):
        headers = (await client.get(path)).headers
        policy = headers["Content-Security-Policy"]
        script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "frame-ancestors 'none'" in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"

    with_console(tmp_path, scenario)
