"""The agent console's HTTP side, against a stand-in for Rasa's HTTP API that refuses
any call without a JWT signed with the key and records what the console asks of it
(tests.fake_rasa); and the console's defences: sessions that end, CSRF, security headers.
Sign-in limits: tests/test_agent_sign_in.py."""

from __future__ import annotations

import pytest

from tests.console_support import WAIT_ENDS, sign_in, with_console
from webapp.console_auth import CSRF_HEADER


def test_a_wrong_password_is_refused_and_the_api_stays_closed(tmp_path):
    async def scenario(client, rasa, store):
        response = await client.post("/agent/login", json={"name": "wang", "password": "guess"})
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
            {"event": "bot", "text": "Wang: Hi", "metadata": {"from_agent": True, "agent": "wang"}, "timestamp": 3.0},
        ]
        await sign_in(client)
        listed = (await (await client.get("/agent/api/tickets")).json())["tickets"]
        assert [t["ticket_id"] for t in listed] == [third, newer]
        assert "transcript" not in listed[0] and "sender_id" not in listed[0]
        shown = await (await client.get(f"/agent/api/tickets/{newer}")).json()
        assert [(m["from"], m["text"]) for m in shown["messages"]] == [
            ("customer", "my number is 138****1234"),
            ("assistant", "I've passed you to a human agent"),
            ("agent", "Wang: Hi"),
        ]
        assert "13800001234" not in str(shown)
        assert (await client.get("/agent/api/tickets/HT000")).status == 404

    with_console(tmp_path, scenario)


def test_reply_reaches_the_customers_channel_signed_and_close_hands_back(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-9", "customer_request", "en", live=True)
        rasa.waiting.add("widget-9")
        rasa.events["widget-9"] = [{"event": "user", "text": "I want to talk to a person", "timestamp": 1.0}]
        await sign_in(client)
        assert (await client.post(f"/agent/api/tickets/{ticket}/claim", json={})).status == 200
        response = await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "Hello, how can I help?"})
        assert response.status == 200
        reply = rasa.calls[-1]
        assert reply["path"] == "/conversations/widget-9/tracker/events"
        assert reply["query"]["output_channel"] == "socketio" and reply["query"]["execute_side_effects"] == "true"
        assert reply["body"] == {
            "event": "bot",
            "text": "Wang: Hello, how can I help?",  # the English display name, for an English customer
            "metadata": {"from_agent": True, "agent": "wang"},
        }
        assert store.tickets.get(ticket).agent_joined_at is not None
        assert (await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "  "})).status == 400
        await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "We'll call 138 0000 1234"})
        assert rasa.calls[-1]["body"]["text"] == "Wang: We'll call 138 **** 1234"
        rasa.events["widget-9"].append({"event": "user", "text": "好的，谢谢", "timestamp": 2.0})
        await client.post(f"/agent/api/tickets/{ticket}/reply", json={"text": "不客气"})
        assert rasa.calls[-1]["body"]["text"] == "小王：不客气"  # the customer writes Chinese now

        assert (await client.post(f"/agent/api/tickets/{ticket}/close", json={})).status == 200
        closed = store.tickets.get(ticket)
        assert (closed.status, closed.closed_by) == ("closed", "wang")
        assert [line["text"] for line in closed.transcript] == ["I want to talk to a person", "好的，谢谢"]
        handing_back = [body for body in rasa.bodies("widget-9") if "text" not in body]
        assert handing_back[-4:] == [
            WAIT_ENDS,
            {"name": "utter_assistant_back"},
            {"name": "action_ask_rating"},
            {"event": "action", "name": "action_listen"},
        ]
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
        await sign_in(client, "chen")  # a supervisor closes any ticket
        rasa.failing = True
        response = await client.post(f"/agent/api/tickets/{ticket}/close", json={})
        assert response.status == 502 and "still open" in await response.text()
        assert store.tickets.get(ticket).status == "open"
        assert [t["ticket_id"] for t in (await (await client.get("/agent/api/tickets")).json())["tickets"]] == [ticket]

        rasa.failing = False
        assert (await client.post(f"/agent/api/tickets/{ticket}/close", json={})).status == 200
        assert store.tickets.get(ticket).status == "closed"
        assert "widget-7" not in rasa.waiting
        assert rasa.bodies().count({"name": "utter_assistant_back"}) == 1

    with_console(tmp_path, scenario)


def test_console_is_off_without_rasas_key(tmp_path):
    async def scenario(client, rasa, store):
        assert (await client.get("/agent")).status == 503
        assert (await client.post("/agent/login", json={"name": "wang", "password": ""})).status in (404, 405)

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
        ('{"name": "wang", "password": 1}', "application/json", 400),
        ('{"name": ["wang"], "password": "x"}', "application/json", 400),
        ("name=wang&password=wang-password", "application/x-www-form-urlencoded", 415),
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


FOREIGN = "http://127.0.0.1:9999"  # another port of the same host: the same site for SameSite


def test_forged_console_posts_from_another_page_change_nothing(tmp_path):
    """The review's CSRF: a page on another port posts text/plain forms and no-cors fetches
    with the agent's cookie."""

    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-5", "customer_request", "en")
        rasa.waiting.add("widget-5")
        csrf = await sign_in(client, "chen")
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
