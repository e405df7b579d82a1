"""Scripted conversations with the running assistant, in both languages and across a restart of
the Rasa server, whose figures were counted by hand and must be what `python -m mall.insights`
prints; the ratings in the dialogue (asked at the right moments, ignored at no cost)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

from launcher.processes import free_port
from launcher.stack import Assistant, rasa_api_args, running_actions, running_rasa, server_env
from mall import settings
from mall.agents import AgentRole
from mall.conversations import ConversationLog
from mall.figures import figures
from mall.store import OrderStore
from tests.support import Chat, require_model
from webapp.rasa_api import rasa_api_headers

pytestmark = pytest.mark.conversation

KEY = secrets.token_urlsafe(32)


class Servers:
    """The action server and a Rasa server (with its API) over stores of their own; the Rasa
    server can be restarted."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.orders_db = workdir, workdir / "orders.db"
        self.actions_port = free_port()
        self.stack = ExitStack()
        self.stack.enter_context(running_actions(workdir, self.orders_db, self.actions_port))
        self.rasa_url = ""
        self._rasa = ExitStack()
        self.start_rasa()

    def start_rasa(self) -> None:
        args = rasa_api_args(KEY)
        self.rasa_url = self._rasa.enter_context(
            running_rasa(self.workdir, self.actions_port, self.orders_db, extra_args=args)
        )

    def restart_rasa(self) -> None:
        self._rasa.close()
        self.start_rasa()

    def assistant(self) -> Assistant:
        return Assistant(self.rasa_url, "", self.orders_db, self.workdir)

    def hand_back(self, sender: str) -> List[Dict[str, Any]]:
        """What the agent console does when it closes a ticket (RasaAPI.hand_back_to_assistant):
        the assistant is back, asks for a rating, and waits for the customer. Its messages."""
        messages = []
        for action in ("utter_assistant_back", "action_ask_rating"):
            messages += self._api(sender, "execute", {"name": action}).get("messages") or []
        self._api(sender, "tracker/events", {"event": "action", "name": "action_listen"})
        return messages

    def _api(self, sender: str, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        url = f"{self.rasa_url}/conversations/{sender}/{path}"
        response = requests.post(url, json=body, headers=rasa_api_headers(KEY), timeout=60)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Servers]:
    require_model()
    running = Servers(tmp_path_factory.mktemp("insights"))
    with running.stack, running._rasa:
        yield running


def rating_buttons(chat: Chat) -> List[str]:
    return [button["payload"] for button in chat.buttons if button["payload"].startswith("/rate")]


def test_scripted_sessions_give_the_figures_counted_by_hand(servers):
    chat = lambda: Chat(servers.assistant())  # noqa: E731
    # A (zh): an answer, goodbye, rated 5 with a comment.
    a = chat()
    assert "手续费" in a.say("分期有手续费吗")
    a.say("再见")
    assert len(rating_buttons(a)) == 5
    assert "谢谢您的评分" in a.say(rating_buttons(a)[4])
    assert "谢谢您的意见" in a.say("有点绕，找了半天")
    # B (zh): a change, the Rasa server restarted in the middle, the rating ignored at no cost.
    b = chat()
    b.say("我想把订单5201121000000001换成信用卡")
    b.say("1234")
    servers.restart_rasa()
    b.assistant = servers.assistant()
    assert "请确认" in b.say("12期")
    b.say("确认")
    assert "新订单" in b.text and len(rating_buttons(b)) == 5
    assert "手续费" in b.say("分期有手续费吗")  # answered as usual
    # C (en): an answer, a message not understood, goodbye, rated 2.
    c = chat()
    c.say("how do i pay in installments")
    c.say("asdkjh qwe zzz")
    c.say("bye")
    c.say(rating_buttons(c)[1])
    # D (en): a paid order goes to an agent, who closes the ticket; rated 4 after the hand-back.
    d = chat()
    d.say("can I change the payment method of order 5201121000000002")
    assert "HT" in d.say("1234")
    store = OrderStore(servers.orders_db)
    agent = store.agents.add("wang", "小王", AgentRole.AGENT, "a long enough password", "test")
    ticket = store.assignment.claim(store.tickets.open_for(d.sender).ticket_id, agent)
    store.tickets.agent_replied(ticket.ticket_id, agent.name)
    store.assignment.close(ticket.ticket_id, agent)
    store.close()
    asked = servers.hand_back(d.sender)
    ratings = [b["payload"] for m in asked for b in m.get("buttons") or [] if b["payload"].startswith("/rate")]
    d.say(ratings[3])
    # E (zh): a change declined.  F (en): a change left after the phone tail.
    e = chat()
    e.say("我想把订单5201121000000008换成支付宝")
    e.say("3456")
    e.say("算了")
    f = chat()
    f.say("change the payment method of order 5201121000000006 please")
    f.say("9012")

    expected = {
        "sessions": 6,
        "contained": 5,
        "handed_off": 1,  # D
        "resolved": 2,  # A (answered, 5) and B (reordered); C rated 2, E declined, F left
        "fallbacks": 1,  # C's; A's comment was thanked for
        "change_payment": {
            "started": 4,  # B D E F
            "verified": 4,
            "confirmed": 1,
            "reordered": 1,
            "handed_off": 1,
            "abandoned": 0,  # F has not been idle 30 minutes yet
        },
        "csat": {"responses": 3, "average": 3.67},  # 5, 2, 4
    }
    shown = printed_figures(servers)
    assert {key: shown[key] for key in expected} == expected
    assert shown["by_language"]["zh"]["sessions"] == 3 and shown["by_language"]["en"]["sessions"] == 3
    assert shown["by_language"]["en"]["csat"] == {"responses": 2, "average": 3.0}
    log = ConversationLog(servers.workdir / "conversations.db")
    with log.db.connection() as connection:
        later = figures(connection, now=time.time() + 31 * 60).as_json()
    assert later["change_payment"]["abandoned"] == 1  # F, once idle
    assert log.current_session(a.sender).rating_comment == "有点绕，找了半天"
    log.close()


def printed_figures(servers: Servers) -> Dict[str, Any]:
    env = server_env(servers.orders_db, servers.workdir / "conversations.db")
    run = subprocess.run(
        [sys.executable, "-m", "mall.insights", "--json"], env=env, cwd=settings.ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_no_rating_inside_a_form_or_a_goodbye_without_an_answer(servers):
    chat = Chat(servers.assistant())
    chat.say("see you")
    assert rating_buttons(chat) == []  # nothing was answered
    chat.say("change the payment method of order 5201121000000006")
    chat.say("bye")  # leaves the form, no rating there
    assert rating_buttons(chat) == []


def test_asked_once_per_session(servers):
    chat = Chat(servers.assistant())
    chat.say("分期有手续费吗")
    chat.say("拜拜")
    assert rating_buttons(chat)
    chat.say("怎么还款")
    chat.say("再见")
    assert rating_buttons(chat) == []
