"""The mall's side of the customer (webapp.shop): the chat cookie, the demo sign-in and
the customer token."""

from __future__ import annotations

import asyncio
import re
from typing import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mall.identity import CHAT_COOKIE, TokenRefused, verify_token
from tests.support import demo_store
from webapp.server import Settings, create_app

MALL_SECRET = "mall-secret-for-the-tests-32-characters"
OWNER = "customer-1234"


def with_shop(tmp_path, scenario: Callable[[TestClient], Awaitable[None]], mall_secret=MALL_SECRET) -> None:
    demo_store(tmp_path / "orders.db")

    async def main() -> None:
        client = TestClient(TestServer(create_app(Settings(orders_db=tmp_path / "orders.db", mall_secret=mall_secret))))
        await client.start_server()
        try:
            await scenario(client)
        finally:
            await client.close()

    asyncio.run(main())


def own_origin(client: TestClient) -> dict:
    return {"Origin": str(client.make_url("")).rstrip("/")}


def test_a_browser_gets_an_httponly_session_cookie_and_its_conversation(tmp_path):
    async def scenario(client):
        response = await client.get("/api/session")
        cookie = response.cookies[CHAT_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["max-age"]
        body = await response.json()
        assert body["customer"] is None and body["token"] is None and body["conversation_id"].startswith("web:")
        assert cookie.value not in str(body)  # the page's script never sees the secret
        again = await (await client.get("/api/session")).json()
        assert again["conversation_id"] == body["conversation_id"]

    with_shop(tmp_path, scenario)


def test_signing_in_gives_a_token_for_this_browsers_conversation_only(tmp_path):
    async def scenario(client):
        await client.get("/api/session")
        customers = (await (await client.get("/api/customers")).json())["customers"]
        assert OWNER in [c["id"] for c in customers] and all("****" in c["phone"] for c in customers)
        response = await client.post("/api/login", json={"customer_id": OWNER}, headers=own_origin(client))
        assert response.status == 200
        session = await (await client.get("/api/session")).json()
        assert session["customer"]["id"] == OWNER
        identity = verify_token(MALL_SECRET, session["token"], session["conversation_id"])
        assert identity.customer_id == OWNER
        with pytest.raises(TokenRefused):  # useless in another browser's conversation
            verify_token(MALL_SECRET, session["token"], "web:another")

        await client.post("/api/logout", json={}, headers=own_origin(client))
        after = await (await client.get("/api/session")).json()
        assert after["customer"] is None and after["token"] is None
        assert after["conversation_id"] != session["conversation_id"]  # a new conversation

    with_shop(tmp_path, scenario)


@pytest.mark.parametrize(
    "headers, body",
    [
        ({"Origin": "http://127.0.0.1:9999", "Content-Type": "application/json"}, '{"customer_id": "customer-1234"}'),
        ({"Content-Type": "text/plain"}, '{"customer_id": "customer-1234"}'),
        ({"Content-Type": "application/json"}, "[]"),
        ({"Content-Type": "application/json"}, '{"customer_id": "nobody"}'),
    ],
    ids=["other-origin", "text-plain", "array", "unknown-customer"],
)
def test_forged_or_bad_sign_ins_are_refused(tmp_path, headers, body):
    async def scenario(client):
        await client.get("/api/session")
        response = await client.post("/api/login", data=body, headers=headers)
        assert response.status in (400, 403, 415)
        assert (await (await client.get("/api/session")).json())["customer"] is None

    with_shop(tmp_path, scenario)


def test_without_a_mall_secret_nobody_signs_in(tmp_path):
    async def scenario(client):
        assert (await (await client.get("/api/customers")).json())["customers"] == []
        response = await client.post("/api/login", json={"customer_id": OWNER}, headers=own_origin(client))
        assert response.status == 503

    with_shop(tmp_path, scenario, mall_secret=None)


def test_the_page_has_no_inline_script():
    from webapp.server import WEB_ROOT

    for page in ("index.html", "agent.html"):
        html = (WEB_ROOT / page).read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", html), page
