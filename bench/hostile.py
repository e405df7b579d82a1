"""python -m bench.hostile [--quick]: hostile load and outages, measured on running servers;
writes the figures into docs/RELIABILITY.md (between the bench.hostile markers).

- the cost of a message at the length limit, and of one over it (refused at the door);
- another customer's latency while others send messages at the limit in a loop (idle and
  flooded windows alternate, so both see the same background load on the machine);
- how long the Rasa server takes to stop on SIGTERM while flooded;
- outages of the action server in the middle of both forms: how many conversations carry
  on where they were after the restart;
- agent messages sent while customers had closed their tab: how many arrive on return.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import re
import secrets
import signal
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import requests

from bench.hostile_report import BYSTANDER, LIMIT, REPORT, section, write
from bench.load import percentile
from launcher.processes import free_port, start, stop, wait_until_up
from launcher.stack import (
    AgentAccess,
    rasa_command,
    running_actions,
    running_assistant,
    running_rasa,
    server_env,
    write_endpoints,
)
from mall import demo, settings
from mall.store import OrderStore
from mall.support import HOTLINE
from tests.socket_customer import SocketCustomer  # the widget's protocol, as the tests speak it
from webapp.agent import rasa_api_headers

KINDS = {
    "Chinese": "我想把订单换成信用卡分期付款，手续费怎么算？",
    "English": "I would like to change the payment method of my order to a credit card, please. ",
    "digits": "5201121000000001 1234 ",
    "emoji": "🙂",
}


def step(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def text_of(kind: str, length: int) -> str:
    unit = KINDS[kind]
    return (unit * (length // len(unit) + 1))[:length]


def say(rasa_url: str, sender: str, text: str, timeout: float = 120) -> Tuple[float, str]:
    started = time.perf_counter()
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout
    )
    elapsed = time.perf_counter() - started
    replies = response.json() if response.ok else []
    return elapsed, "\n".join(reply.get("text", "") for reply in replies)


def new_sender() -> str:
    return f"hostile-{uuid.uuid4().hex[:10]}"


# -- the cost of one message --------------------------------------------------------------------


def message_costs(rasa_url: str, repeats: int) -> Dict[str, Any]:
    """Median REST round trip of a conversation's first message, by kind and length."""
    lengths = [10, LIMIT // 4, LIMIT // 2, LIMIT]
    table = {}
    for kind in KINDS:
        table[kind] = {
            length: statistics.median(say(rasa_url, new_sender(), text_of(kind, length))[0] for _ in range(repeats))
            for length in lengths
        }
    refused = [say(rasa_url, new_sender(), text_of("Chinese", 10 * LIMIT)) for _ in range(repeats)]
    assert all("太长" in reply for _, reply in refused), refused[0][1]
    body = b'{"sender": "huge", "message": "' + b"a" * 6_000_000 + b'"}'
    started = time.perf_counter()
    status = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    ).status_code
    return {
        "lengths": lengths,
        "table": table,
        "refused_s": statistics.median(seconds for seconds, _ in refused),
        "huge_status": status,
        "huge_s": time.perf_counter() - started,
    }


# -- another customer while someone floods ------------------------------------------------------


@contextmanager
def flooding(rasa_url: str, senders: int, message: str) -> Iterator[List[float]]:
    """`senders` customers sending `message` one after another, for the block."""
    stop_event, costs = threading.Event(), []

    def flood() -> None:
        sender = new_sender()
        while not stop_event.is_set():
            try:
                costs.append(say(rasa_url, sender, message)[0])
            except requests.RequestException:
                time.sleep(0.1)

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    try:
        yield costs
    finally:
        stop_event.set()
        for thread in threads:
            thread.join(timeout=120)


def bystander(rasa_url: str, count: int) -> List[float]:
    timings = []
    for number in range(count):
        timings.append(say(rasa_url, f"bystander-{uuid.uuid4().hex[:6]}-{number}", BYSTANDER, timeout=60)[0])
        time.sleep(0.02)
    return timings


def stall(rasa_url: str, senders: int, message: str, rounds: int, per_round: int) -> Dict[str, Any]:
    idle: List[float] = []
    busy: List[float] = []
    flood_costs: List[float] = []
    bystander(rasa_url, 5)  # warm-up
    for _ in range(rounds):
        idle += bystander(rasa_url, per_round)
        with flooding(rasa_url, senders, message) as costs:
            busy += bystander(rasa_url, per_round)
        flood_costs += costs
    summary = {
        "idle_p50": percentile(idle, 0.5),
        "idle_p95": percentile(idle, 0.95),
        "busy_p50": percentile(busy, 0.5),
        "busy_p95": percentile(busy, 0.95),
        "busy_max": max(busy),
        "flood_p50": percentile(flood_costs, 0.5) if flood_costs else 0.0,
        "flood_n": len(flood_costs),
        "n": len(busy),
    }
    summary["ratio"] = summary["busy_p95"] / summary["idle_p95"]
    return summary


# -- SIGTERM --------------------------------------------------------------------------------------


def sigterm_seconds(workdir: Path, flooded: bool) -> float:
    """From SIGTERM to the Rasa server's exit, with nobody connected or under a flood."""
    port, log = free_port(), workdir / "sigterm-rasa.log"
    env = server_env(workdir / "sigterm-orders.db", workdir / "sigterm-conversations.db")
    process = start(rasa_command(port, write_endpoints(workdir, free_port())), log, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        with flooding(url, 3 if flooded else 0, text_of("Chinese", LIMIT)):
            time.sleep(2)
            asked = time.monotonic()
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=120)
            return time.monotonic() - asked
    finally:
        stop(process)


# -- outages in the middle of a form ------------------------------------------------------------

CONFIRMATION = [
    ("我想换个支付方式", "订单号"),
    ("5201121000000001", "后4位"),
    ("1234", "还没有支付"),
    ('/inform{"payment_method":"alipay"}', "请确认"),
]
VERIFICATION = [("I want to change the payment method of my order", "order number"), ("5201121000000006", "last 4")]


def outages(workdir: Path, rounds: int) -> Dict[str, Any]:
    """Per round: a conversation reaches the confirmation (or the phone-tail question), the
    action server is killed, the answer gets the apology, the action server comes back, and
    the same answer must carry on (the change made, or the order shown)."""
    orders_db, actions_port = workdir / "outage-orders.db", free_port()
    store = OrderStore(orders_db)
    demo.init(store)
    results = {"confirmation": [0, 0], "verification": [0, 0]}
    with running_rasa(workdir, actions_port, orders_db) as rasa_url:
        for number in range(rounds):
            kind = "confirmation" if number % 2 == 0 else "verification"
            steps, answer, expected = (
                (CONFIRMATION, "确认", "已办好") if kind == "confirmation" else (VERIFICATION, "9012", "is unpaid")
            )
            demo.reset(store)
            sender = new_sender()
            with running_actions(workdir, orders_db, port=actions_port):
                for text, reply in steps:
                    assert reply in say(rasa_url, sender, text)[1], (text, reply)
            apology = say(rasa_url, sender, answer)[1]
            with running_actions(workdir, orders_db, port=actions_port):
                carried_on = expected in say(rasa_url, sender, answer)[1]
            results[kind][1] += 1
            results[kind][0] += int(HOTLINE in apology and carried_on)
    store.close()
    return results


# -- messages while the customer is away --------------------------------------------------------


def delivered_after_return(workdir: Path, customers: int, messages: int) -> Dict[str, int]:
    agent = AgentAccess()

    async def run(rasa_url: str) -> Dict[str, int]:
        sent = received = 0
        for number in range(customers):
            browser = secrets.token_urlsafe(32)  # the chat cookie: coming back is the same browser
            customer = SocketCustomer(rasa_url, chat_secret=browser)
            await customer.connect()
            await customer.say("我要转人工")
            await customer.wait_for("工单号")
            await customer.close()
            await asyncio.sleep(0.3)
            for index in range(messages):
                text = f"客服消息 {number} {index}"  # no markdown character: agent text is escaped
                requests.post(
                    f"{rasa_url}/conversations/{customer.session_id}/tracker/events",
                    params={"output_channel": "socketio", "execute_side_effects": "true"},
                    headers=rasa_api_headers(agent.rasa_token),
                    json={"event": "bot", "text": text, "metadata": {"from_agent": True}},
                    timeout=30,
                ).raise_for_status()
                sent += 1
            back = SocketCustomer(rasa_url, chat_secret=browser)
            await back.connect()
            await asyncio.sleep(1.0)
            received += sum(bool(re.fullmatch(rf"客服消息 {number} \d+", r.get("text") or "")) for r in back.received)
            await back.close()
        return {"customers": customers, "sent": sent, "received": received}

    with running_assistant(workdir / "away", agent=agent) as assistant:
        return asyncio.run(run(assistant.rasa_url))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    repeats, rounds, per_round, outage_rounds = (2, 1, 20, 2) if args.quick else (5, 3, 60, 10)
    senders = 3
    results: Dict[str, Any] = {
        "date": f"{datetime.date.today():%Y-%m-%d}",
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "load": " / ".join(f"{value:.1f}" for value in os.getloadavg()),
        "senders": senders,
    }
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        workdir = Path(scratch)
        step("starting the assistant")
        with running_assistant(workdir / "main") as assistant:
            step("the cost of messages")
            results["costs"] = message_costs(assistant.rasa_url, repeats)
            step("another customer while someone sends messages at the limit")
            results["stall"] = stall(assistant.rasa_url, 1, text_of("Chinese", LIMIT), rounds, per_round)
            step("another customer while three others send messages at the limit")
            results["stall_3"] = stall(assistant.rasa_url, senders, text_of("Chinese", LIMIT), rounds, per_round)
            step("another customer while someone sends messages over the limit")
            results["stall_refused"] = stall(assistant.rasa_url, 1, text_of("Chinese", 10 * LIMIT), rounds, per_round)
        step("SIGTERM, idle and while flooded")
        results["sigterm_idle_s"] = sigterm_seconds(workdir, flooded=False)
        results["sigterm_s"] = sigterm_seconds(workdir, flooded=True)
        step("outages in the middle of a form")
        results["outages"] = outages(workdir, outage_rounds)
        step("agent messages while customers are away")
        results["away"] = delivered_after_return(workdir, 5, 3)
    write(results)
    step(f"written to {REPORT.relative_to(settings.ROOT)}")
    print(section(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
