"""Faults injected on purpose: crashes mid-write, racing confirmations, and an action
server that is down or hangs. Nothing may be lost, doubled or left half done."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict

import pytest
import requests
import sqlalchemy as sa
from aiohttp import web

from launcher.stack import free_port, running_actions, running_rasa
from mall import demo, support
from mall.orders import ReorderOutcome
from mall.store import OrderStore
from tests import crash_points
from tests.support import demo_store, new_orders, require_model

UNPAID = "5201121000000001"
RACE_ROUNDS, RACERS = 20, 4


def reorder_request(domain: Dict[str, Any], sender: str) -> Dict[str, Any]:
    """What Rasa posts to the action server when a verified customer says yes."""
    slots = {
        "order_id": UNPAID,
        "phone_tail": "1234",
        "verified_order_id": UNPAID,
        "new_payment_method": "alipay",
        "new_installments": 1,
        "change_confirmed": True,
    }
    return {
        "next_action": "action_cancel_and_reorder",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": domain,
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "paused": False,
            "followup_action": None,
            "latest_message": {"text": "确认", "intent": {"name": "affirm"}, "entities": []},
            "events": [],
            "active_loop": {},
            "latest_action_name": "payment_change_form",
        },
    }


def wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.parametrize("stage", crash_points.STAGES)
def test_action_server_killed_mid_reorder_leaves_all_or_nothing(tmp_path, domain, stage):
    orders_db, marker = tmp_path / "orders.db", tmp_path / "stopped-here"
    demo_store(orders_db).close()
    request = reorder_request(domain, "crash-test")
    crashing = partial(crash_points.command, stage, marker)

    with running_actions(tmp_path, orders_db, command=crashing) as server:
        caller = threading.Thread(target=lambda: _post_ignoring_errors(f"{server.url}/webhook", request))
        caller.start()
        wait_for(marker)
        server.kill()
        caller.join(timeout=30)

    after_crash = OrderStore(orders_db)
    assert after_crash.db.scalar(sa.text("PRAGMA integrity_check")) == "ok"
    old, created = after_crash.orders.get(UNPAID), new_orders(after_crash)
    audit = len(after_crash.orders.audit_trail())
    if stage == "after_commit":  # committed: fully after
        assert (old.status, len(created), audit) == ("cancelled", 1, 2)
        assert old.replaced_by == created[0]["order_id"]
    else:  # not committed: fully before
        assert (old.status, old.replaced_by, len(created), audit) == ("unpaid", None, 0, 0)

    # The customer says yes again once the action server is back: one order, never two.
    with running_actions(tmp_path, orders_db) as server:
        answer = requests.post(f"{server.url}/webhook", json=request, timeout=30).json()
    expected = "utter_reorder_already_done" if stage == "after_commit" else "utter_reorder_done"
    assert [r.get("response") for r in answer["responses"]] == [expected]
    assert len(new_orders(after_crash)) == 1 and after_crash.orders.get(UNPAID).status == "cancelled"


def _post_ignoring_errors(url: str, body: Dict[str, Any]) -> None:
    with contextlib.suppress(requests.RequestException):  # killed mid-request, as intended
        requests.post(url, json=body, timeout=60)


def _confirm_at(args) -> str:
    """One conversation's 'yes', from its own process and database connection."""
    db_path, sender, start_at = args
    store = OrderStore(db_path)
    time.sleep(max(0.0, start_at - time.time()))
    outcome = store.orders.cancel_and_reorder(UNPAID, "1234", "wechat_pay", 1, sender).outcome
    store.close()
    return outcome.value


def test_simultaneous_confirmations_create_exactly_one_order(database):
    """Each racer has its own process and connection: on SQLite they queue for the file's
    write lock, on PostgreSQL for the order's row lock."""
    db_path = database
    store = demo_store(db_path)
    with multiprocessing.get_context("spawn").Pool(RACERS) as pool:
        for round_number in range(RACE_ROUNDS):
            demo.reset(store)
            start_at = time.time() + 0.3
            outcomes = pool.map(_confirm_at, [(str(db_path), f"conv-{i}", start_at) for i in range(RACERS)])
            assert sorted(outcomes) == sorted(
                [ReorderOutcome.REORDERED.value] + [ReorderOutcome.ALREADY_REPLACED.value] * (RACERS - 1)
            ), f"round {round_number}: {outcomes}"
            assert len(new_orders(store)) == 1
            assert len(store.orders.audit_trail()) == 2


def say(rasa_url: str, sender: str, text: str) -> str:
    replies = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    ).json()
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.mark.conversation
def test_action_server_down_apologises_and_the_conversation_goes_on(tmp_path):
    require_model()
    orders_db, actions_port = tmp_path / "orders.db", free_port()  # nothing listens there yet
    with running_rasa(tmp_path, actions_port, orders_db) as rasa_url:
        chinese = say(rasa_url, "down-zh", "我想换个支付方式")
        assert "系统暂时没有响应" in chinese and support.HOTLINE in chinese
        english = say(rasa_url, "down-en", "I want to change my payment method")
        assert "isn't responding" in english and support.HOTLINE in english
        assert "分期" in say(rasa_url, "down-zh", "分期有手续费吗")  # replies needing no action still work

        with running_actions(tmp_path, orders_db, port=actions_port):
            assert "订单号" in say(rasa_url, "down-zh", "我想换个支付方式")
            assert "后4位" in say(rasa_url, "down-zh", "5201121000000001")


@pytest.mark.conversation
def test_hanging_action_server_gets_an_apology_within_the_time_limit(tmp_path):
    require_model()
    port = free_port()
    hanging = _HangingServer(port)
    hanging.start()
    try:
        with running_rasa(
            tmp_path, port, tmp_path / "orders.db", extra_env={"ACTION_TIMEOUT_SECONDS": "2"}
        ) as rasa_url:
            started = time.monotonic()
            reply = say(rasa_url, "slow-1", "change the payment method of my order")
            elapsed = time.monotonic() - started
            assert elapsed < 15
            assert "isn't responding" in reply
    finally:
        hanging.stop()


class _HangingServer(threading.Thread):
    """An 'action server' that accepts requests and never answers in time."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self._runner: Any = None
        self._loop: Any = None
        self._ready = threading.Event()

    def run(self) -> None:
        import asyncio

        async def hang(request: web.Request) -> web.Response:
            await asyncio.sleep(120)
            return web.json_response({})

        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/webhook", hang)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        super().start()
        self._ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


# -- an outage in the middle of a form: the customer says it again and goes on --------------


@pytest.mark.conversation
def test_action_server_outage_at_the_confirmation_keeps_the_form(tmp_path):
    """Killed before the "yes": the yes gets the apology; after the restart the same yes
    confirms, and the order is changed once."""
    require_model()
    orders_db, actions_port = tmp_path / "orders.db", free_port()
    demo_store(orders_db).close()
    with running_rasa(tmp_path, actions_port, orders_db) as rasa_url:
        with running_actions(tmp_path, orders_db, port=actions_port):
            say(rasa_url, "outage-1", "我想换个支付方式")
            say(rasa_url, "outage-1", "5201121000000001")
            assert "还没有支付" in say(rasa_url, "outage-1", "1234")
            assert "请确认" in say(rasa_url, "outage-1", '/inform{"payment_method":"alipay"}')
        apology = say(rasa_url, "outage-1", "确认")  # the action server is gone
        assert "系统暂时没有响应" in apology and support.HOTLINE in apology
        assert OrderStore(orders_db).orders.get(UNPAID).status == "unpaid"
        with running_actions(tmp_path, orders_db, port=actions_port):
            done = say(rasa_url, "outage-1", "确认")
    assert "已办好" in done
    store = OrderStore(orders_db)
    (created,) = new_orders(store)
    assert created["payment_method"] == "alipay" and store.orders.get(UNPAID).replaced_by == created["order_id"]


@pytest.mark.conversation
def test_action_server_outage_while_verifying_keeps_the_question(tmp_path):
    """Killed while the phone tail is asked: after the restart the same tail is checked and
    the order shown, in the customer's language."""
    require_model()
    orders_db, actions_port = tmp_path / "orders.db", free_port()
    demo_store(orders_db).close()
    with running_rasa(tmp_path, actions_port, orders_db) as rasa_url:
        with running_actions(tmp_path, orders_db, port=actions_port):
            say(rasa_url, "outage-2", "I want to change the payment method of my order")
            assert "last 4 digits" in say(rasa_url, "outage-2", "5201121000000006")
        assert "isn't responding" in say(rasa_url, "outage-2", "9012")
        with running_actions(tmp_path, orders_db, port=actions_port):
            shown = say(rasa_url, "outage-2", "9012")
            assert "is unpaid" in shown and "Xiaomi TV S Pro 85" in shown
            assert "Over how many months" in say(rasa_url, "outage-2", "credit card")
