"""The helpdesk's HTTP side against a stand-in for Rasa (tests.console_support): who may act
on a ticket (403), claims (409 for the second), notes that never reach Rasa, canned replies
filled in the customer's language, the history of ended tickets, the audit trail, the
customer told when an agent takes their ticket, idle tickets closed, and the live channel."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from mall import settings
from mall.tickets import CloseReason
from tests.console_support import FakeRasa, signed_in, with_console
from tests.test_agent_accounts import events

ENGLISH = [{"event": "user", "text": "I want to talk to a person", "timestamp": 1.0}]


async def until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    """The monitor works on its own: wait for what it does."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "it did not happen"
        await asyncio.sleep(0.05)


def test_an_agent_cannot_act_on_another_agents_ticket(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-1", "paid_order", "zh", order_id="5201121000000002", live=True)
        path = f"/agent/api/tickets/{ticket}"
        async with signed_in(client, "wang") as wang, signed_in(client, "li") as li, signed_in(client, "chen") as chen:
            assert (await li.post(f"{path}/reply", {"text": "not yet mine"})).status == 403  # claim first
            assert (await wang.post(f"{path}/claim")).status == 200
            assert (await li.post(f"{path}/claim")).status == 409
            assert (await li.get(path)).status == 403
            for action, body in (("reply", {"text": "hi"}), ("note", {"text": "hm"}), ("close", {})):
                assert (await li.post(f"{path}/{action}", body)).status == 403, action
            assert (await li.post(f"{path}/transfer", {"to": "li", "note": ""})).status == 403
            assert ticket not in [t["ticket_id"] for t in (await li.json("/agent/api/tickets"))["tickets"]]
            assert ticket in [t["ticket_id"] for t in (await chen.json("/agent/api/tickets"))["tickets"]]
            assert (await chen.post(f"{path}/transfer", {"to": "li", "note": "李老师擅长退款"})).status == 200
            assert (await wang.post(f"{path}/reply", {"text": "still mine?"})).status == 403
            assert (await li.post(f"{path}/reply", {"text": "您好"})).status == 200
            assert (await li.post(f"{path}/transfer", {"to": "nobody", "note": ""})).status == 400
            assert (await li.post("/agent/api/tickets/HT0000000000/claim")).status == 404
            assert not [
                call for call in rasa.calls if call["body"].get("text") in ("not yet mine", "hi", "still mine?")
            ]

    with_console(tmp_path, scenario)


def test_a_note_never_reaches_the_customer(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-2", "customer_request", "zh", live=True)
        async with signed_in(client, "wang") as wang:
            await wang.post(f"/agent/api/tickets/{ticket}/claim")
            calls = len(rasa.calls)
            note = await wang.post(f"/agent/api/tickets/{ticket}/note", {"text": "回电 13800001234 前先查物流"})
            assert note.status == 200
            assert all("回电" not in str(call["body"]) for call in rasa.calls[calls:])
            shown = await wang.json(f"/agent/api/tickets/{ticket}")
            assert [n["text"] for n in shown["notes"]] == ["回电 138****1234 前先查物流"]
            assert "13800001234" not in str(shown)

    with_console(tmp_path, scenario)


def test_canned_replies_are_filled_in_the_customers_language(tmp_path):
    async def scenario(client, rasa, store):
        zh = store.tickets.open("widget-zh", "paid_order", "zh", order_id="5201121000000002")
        en = store.tickets.open("widget-en", "customer_request", "zh", claimed_order_id="5201121000000006")
        rasa.events["widget-en"] = ENGLISH  # the ticket's language was zh; the customer writes English now
        async with signed_in(client, "chen") as chen, signed_in(client, "wang") as wang:
            saved = await chen.post(
                "/agent/api/canned",
                {
                    "name": "check",
                    "text_zh": "{agent_name}正在查订单{order_id}（{ticket_id}）{oops}",
                    "text_en": "{agent_name} is on {order_id}",
                },
            )
            assert saved.status == 200
            assert (
                await chen.post("/agent/api/canned", {"name": "bad name!", "text_zh": "x", "text_en": "y"})
            ).status == 400

            def filled(body):
                return next(reply["text"] for reply in body["replies"] if reply["name"] == "check")

            assert (
                filled(await wang.json(f"/agent/api/tickets/{zh}/canned"))
                == f"小王正在查订单5201121000000002（{zh}）{{oops}}"
            )
            english = await wang.json(f"/agent/api/tickets/{en}/canned")
            assert english["language"] == "en" and filled(english) == "Wang is on 5201121000000006"
            listed = await wang.json("/agent/api/canned")
            assert "check" in [reply["name"] for reply in listed["replies"]] and "order_id" in listed["variables"]
            deleted = await chen.session.delete(client.make_url("/agent/api/canned/check"), json={})
            assert deleted.status == 200 and store.canned.get("check") is None
            audit = [(e.actor, e.action, e.subject) for e in store.audit.recent(2)]
            assert audit == [("chen", "canned_delete", "check"), ("chen", "canned_save", "check")]

    with_console(tmp_path, scenario)


def test_ended_tickets_are_found_by_ticket_order_phone_day_and_agent(tmp_path):
    async def scenario(client, rasa, store):
        paid = store.tickets.open("widget-3", "paid_order", "zh", order_id="5201121000000002")
        other = store.tickets.open("widget-4", "customer_request", "zh")
        rasa.events["widget-4"] = [{"event": "user", "text": "我的手机 139 0000 5678", "timestamp": 1.0}]
        still_open = store.tickets.open("widget-5", "paid_order", "zh", order_id="5201121000000002")
        async with signed_in(client, "wang") as wang:
            for ticket in (paid, other):
                await wang.post(f"/agent/api/tickets/{ticket}/claim")
                await wang.post(f"/agent/api/tickets/{ticket}/close")

            async def found(**query):
                text = "&".join(f"{key}={value}" for key, value in query.items())
                return [t["ticket_id"] for t in (await wang.json(f"/agent/api/history?{text}"))["tickets"]]

            assert await found(q="5201121000000002") == [paid]  # the open one is not history
            assert await found(q=paid.lower()) == [paid]
            assert await found(q="138****1234") == [paid]  # the phone on the order
            assert await found(q="13800001234") == [paid]  # typed in full: masked first
            assert await found(q="139 **** 5678") == [other]  # said in the conversation
            assert sorted(await found(agent="wang")) == sorted([paid, other])
            assert await found(agent="li") == []
            today = store.tickets.get(paid).created_at[:10]
            assert len(await found(date=today)) in (0, 2)  # the mall's day may differ from UTC's at midnight
            assert await found(date="2020-01-01") == []
            assert (await wang.get("/agent/api/history?date=yesterday")).status == 400
            closed = await wang.json(f"/agent/api/tickets/{paid}")
            assert closed["ticket"]["closed_by"] == "wang" and still_open not in str(closed)

    with_console(tmp_path, scenario)


def test_every_agent_action_is_in_the_audit_trail(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-6", "customer_request", "zh", live=True)
        path = f"/agent/api/tickets/{ticket}"
        async with signed_in(client, "wang") as wang, signed_in(client, "chen") as chen:
            await wang.post(f"{path}/claim")
            await wang.post(f"{path}/reply", {"text": "您好"})
            await wang.post(f"{path}/note", {"text": "查一下"})
            await wang.post(f"{path}/transfer", {"to": "li", "note": "交给你"})
            await chen.post(f"{path}/close")
            history = (await chen.json(path))["history"]
            assert [(e["actor"], e["action"]) for e in history] == [
                ("customer", "open"),
                ("wang", "claim"),
                ("wang", "reply"),
                ("wang", "note"),
                ("wang", "transfer"),
                ("wang", "note"),
                ("chen", "close"),
            ]
            assert all(entry["at"] for entry in (await chen.json("/agent/api/audit"))["entries"])

    with_console(tmp_path, scenario)


def test_the_customer_is_told_when_an_agent_takes_their_ticket(tmp_path):
    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-7", "customer_request", "zh", live=True)
        told = {"name": "action_handoff_update"}
        await until(lambda: told in rasa.bodies("widget-7"))  # their place in the queue
        async with signed_in(client, "wang") as wang:
            await wang.post(f"/agent/api/tickets/{ticket}/claim")
            await until(lambda: rasa.bodies("widget-7").count(told) == 2)  # the agent who took it
            assert rasa.calls[-1]["query"]["output_channel"] == "socketio"

    with_console(tmp_path, scenario)


def test_a_ticket_idle_on_the_customer_is_closed_and_the_assistant_takes_over(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "handoff_idle_minutes", lambda env=None: 0.02)  # 1.2 s

    async def scenario(client, rasa, store):
        ticket = store.tickets.open("widget-8", "customer_request", "en", live=True)
        rasa.waiting.add("widget-8")
        rasa.events["widget-8"] = ENGLISH
        async with signed_in(client, "wang") as wang:
            await wang.post(f"/agent/api/tickets/{ticket}/claim")
            await wang.post(f"/agent/api/tickets/{ticket}/reply", {"text": "Could you send me the order number?"})
            await until(lambda: not store.tickets.get(ticket).is_open)
        closed = store.tickets.get(ticket)
        assert (closed.close_reason, closed.closed_by) == (CloseReason.IDLE, None)
        assert [line["text"] for line in closed.transcript] == ["I want to talk to a person"]
        await until(lambda: {"name": "utter_handoff_idle_closed"} in rasa.bodies("widget-8"))
        assert "widget-8" not in rasa.waiting  # the wait slot cleared: the assistant takes over

    with_console(tmp_path, scenario)


def test_the_live_channel_tells_what_changed_and_makes_the_agent_online(tmp_path):
    async def scenario(client, rasa: FakeRasa, store):
        async with signed_in(client, "wang") as wang:
            live = await wang.get("/agent/api/live")
            await events(live, "hello")
            assert [agent.name for agent in store.agents.online()] == ["wang"]
            ticket = store.assignment.open_ticket(
                sender_id="widget-9", reason="customer_request", language="zh", live=True
            )
            assert ticket.assigned_to == "wang"  # online, and free
            assert (await events(live, "tickets"))[-1] == ("tickets", {})
            live.close()
            await until(lambda: store.agents.online() == [])

    with_console(tmp_path, scenario)


def test_a_customer_back_within_seven_days_is_shown_with_their_previous_ticket(tmp_path):
    async def scenario(client, rasa, store):
        first = store.tickets.open("widget-10", "paid_order", "zh", order_id="5201121000000002")
        store.tickets.close(first, "li")
        again = store.tickets.open("widget-10", "customer_request", "zh")
        async with signed_in(client, "wang") as wang:
            listed = (await wang.json("/agent/api/tickets"))["tickets"]
            assert [t["previous_ticket_id"] for t in listed if t["ticket_id"] == again] == [first]
            shown = await wang.json(f"/agent/api/tickets/{again}")
            assert shown["previous"]["ticket_id"] == first and shown["previous"]["order_id"] == "5201121000000002"
            assert (await wang.json(f"/agent/api/tickets/{first}"))["ticket"]["closed_by"] == "li"  # history: anyone's

    with_console(tmp_path, scenario)
