"""`make demo-traffic`: about 200 customer sessions played through the assistant, so that a fresh
machine shows living figures (python -m mall.insights, the console's pages).

It starts the action server and a Rasa server (with its HTTP API, for the agents) on free
ports over the configured stores (ORDERS_DB and CONVERSATIONS_DB, or DATABASE_URL), and plays
seeded sessions through the REST channel in both languages: installment questions, changes
of payment method (confirmed, declined, left halfway), paid orders and requests for a human
claimed, answered and closed by an agent (the account demo.mia; the reply through Rasa's API as
the console sends it, then the rating question the console asks), ratings and comments, and
messages the assistant does not understand, typos and mixed Chinese and English included.
Each session is then moved to a moment of the past 14 days (mall.redate, the one place that
dates them). Changed demo orders are followed to the order that replaced them; `make reset-db`
brings the demo orders back.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import requests

from launcher.processes import free_port
from launcher.stack import rasa_api_args, running_actions, running_rasa
from mall import settings
from mall.agents import AgentRole
from mall.conversations import ConversationLog
from mall.redate import AgentDelays, redate
from mall.store import OrderStore
from mall.support import MALL_TIME
from webapp.rasa_api import rasa_api_headers

SESSIONS = 200
DEMO_AGENT = "demo.mia"  # the agent who answers the played handoffs
DAYS = 14
SEED = 22

FAQ = {
    "zh": [
        "分期有手续费吗", "分期要手续费不", "花呗分期怎么弄啊", "怎么分期付款", "信用卡分期支持几期", "能分24期吗",
        "逾期了会怎样", "可以提前还款吗", "付款后要审核吗 多久发货", "花呗分期利息多少", "怎么还款啊", "分期怎么操做",
    ],
    "en": [
        "how do i pay in installments", "is there a fee for installments?", "can i use huabei",
        "how many months can i split it", "what happens if i pay late", "can I repay early",
        "do you review my order after paying?", "instalment fees??", "how to repay", "花呗 installment how",
    ],
}  # fmt: skip
THANKS = {
    "zh": ["谢谢", "好的谢谢", "明白了 谢谢啦", "ok 谢谢"],
    "en": ["thanks", "thx!", "ok thank you", "got it thanks"],
}
BYE = {"zh": ["再见", "拜拜", "没事了 再见", "好的 拜拜"], "en": ["bye", "goodbye", "that's all, bye", "ok bye"]}
HUMAN = {
    "zh": ["转人工", "人工客服", "我要找真人", "人工 人工"],
    "en": ["i want to talk to a real person", "human pls", "agent please"],
}
MISSES = {
    "zh": [
        "你们有没有卖冰箱的",
        "能便宜点吗",
        "发票怎么开",
        "hdjsk 咋回事",
        "快递到哪了啊啊",
        "我的手机屏幕碎了",
        "花呗那个分期 利息 还款",
        "嗯嗯那个",
        "？？？",
    ],
    "en": [
        "asdfgh",
        "my package is broken lol",
        "do you sell fridges",
        "can i get a discount",
        "where is my parcel",
        "hmm idk",
        "asdkjh qwe",
    ],
}
COMMENTS = {
    "zh": ["回复挺快的 点赞", "有点绕，找了半天", "还行吧"],
    "en": [
        "quick and clear, thanks",
        "took a while to find the right option",
        "would be nice to change without cancelling",
    ],
}
METHODS = {"zh": ["信用卡", "支付宝", "微信支付", "花呗"], "en": ["credit card", "alipay", "wechat pay", "huabei"]}
PERIODS = {"zh": ["12期", "6期", "分3期吧", "24期"], "en": ["12 months", "6 months", "3", "24 months please"]}
YES = {"zh": ["确认", "好的", "可以"], "en": ["yes", "ok", "confirm"]}
NO = {"zh": ["算了不改了", "先不改了"], "en": ["no, leave it", "never mind"]}
UNPAID = {"5201121000000001": "1234", "5201121000000006": "9012", "5201121000000008": "3456"}
PAID = {"5201121000000002": "1234", "5201121000000003": "5678", "5201121000000004": "5678"}
RATINGS = {5: 45, 4: 30, 3: 12, 2: 7, 1: 6}  # how the played customers rate


@dataclass
class Chat:
    """One played session: the customer's messages through REST, the replies' buttons."""

    player: Player
    sender: str
    language: str
    buttons: List[Dict[str, Any]]

    def say(self, text: str) -> None:
        response = requests.post(
            f"{self.player.rasa_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=60
        )
        response.raise_for_status()
        self.buttons = [button for reply in response.json() for button in reply.get("buttons") or []]
        self.player.maybe_rate(self)

    def pick(self, bank: Dict[str, List[str]]) -> str:
        return self.player.rng.choice(bank[self.language])


class Player:
    def __init__(self, rasa_url: str, api_key: str, log: ConversationLog, store: OrderStore, seed: int) -> None:
        self.rasa_url, self.api_key, self.log, self.store = rasa_url, api_key, log, store
        self.rng = random.Random(seed)
        self.agent = store.agents.get(DEMO_AGENT) or store.agents.add(
            DEMO_AGENT, "小米", AgentRole.AGENT, secrets.token_urlsafe(24), "demo-traffic", "Mia"
        )  # an account nobody signs in with: its password is thrown away

    def maybe_rate(self, chat: Chat, payloads: Optional[List[str]] = None) -> None:
        """Most customers rate when asked (some with a comment); the others just carry on."""
        ratings = payloads or [b["payload"] for b in chat.buttons if str(b.get("payload", "")).startswith("/rate")]
        if not ratings or self.rng.random() > 0.7:
            return
        score = self.rng.choices(list(RATINGS), weights=list(RATINGS.values()))[0]
        chat.say(ratings[score - 1])
        if self.rng.random() < 0.3:
            chat.say(chat.pick(COMMENTS))

    def agent_answers(self, chat: Chat) -> None:
        """An agent replies in the conversation and closes the ticket; the assistant is back
        and asks for a rating (what the console does)."""
        ticket = self.store.tickets.open_for(chat.sender)
        if ticket is None or self.rng.random() < 0.1:
            return  # nobody got to it
        if ticket.assigned_to is None:
            ticket = self.store.assignment.claim(ticket.ticket_id, self.agent)
        agent = self.store.agents.get(ticket.assigned_to or "") or self.agent
        reply = "您好，我是客服小米，已经帮您处理好了" if chat.language == "zh" else "Hi, this is Mia: all sorted."
        self._api("tracker/events", chat.sender, {"event": "bot", "text": reply, "metadata": {"from_agent": True}})
        self.store.tickets.agent_replied(ticket.ticket_id, agent.name)
        self.store.assignment.close(ticket.ticket_id, agent)
        self._api("execute", chat.sender, {"name": "utter_assistant_back"})
        asked = self._api("execute", chat.sender, {"name": "action_ask_rating"})
        self._api("tracker/events", chat.sender, {"event": "action", "name": "action_listen"})
        buttons = [b for message in asked.get("messages") or [] for b in message.get("buttons") or []]
        self.maybe_rate(chat, [b["payload"] for b in buttons if str(b.get("payload", "")).startswith("/rate")])

    def _api(self, path: str, sender: str, body: Dict[str, Any]) -> Dict[str, Any]:
        url = f"{self.rasa_url}/conversations/{sender}/{path}"
        response = requests.post(url, json=body, headers=rasa_api_headers(self.api_key), timeout=60)
        response.raise_for_status()
        return response.json()

    def current_order(self, order_id: str) -> str:
        """A changed demo order's replacement (and so on): the customer's order now."""
        order = self.store.orders.get(order_id)
        while order is not None and order.replaced_by:
            order = self.store.orders.get(order.replaced_by)
        return order.order_id if order else order_id


# -- the kinds of session ----------------------------------------------------------------------


def questions(chat: Chat) -> None:
    rng = chat.player.rng
    for text in rng.sample(FAQ[chat.language], rng.randint(1, 3)):
        chat.say(text)
    if rng.random() < 0.6:
        chat.say(chat.pick(THANKS))
    if rng.random() < 0.8:
        chat.say(chat.pick(BYE))


def change(chat: Chat) -> None:
    rng = chat.player.rng
    root = rng.choice(list(UNPAID))
    order_id, tail = chat.player.current_order(root), UNPAID[root]
    method = rng.randrange(len(METHODS["zh"]))
    name = METHODS[chat.language][method]
    opening = f"我想把订单{order_id}换成{name}" if chat.language == "zh" else f"change order {order_id} to {name} pls"
    chat.say(opening)
    chat.say(tail)
    if rng.random() < 0.15:
        return  # left halfway
    if method in (0, 3):  # credit card and Huabei ask for the periods
        chat.say(chat.pick(PERIODS))
    chat.say(chat.pick(NO) if rng.random() < 0.2 else chat.pick(YES))
    if rng.random() < 0.5:
        chat.say(chat.pick(BYE))


def paid_order(chat: Chat) -> None:
    order_id, tail = chat.player.rng.choice(list(PAID.items()))
    chat.say(f"订单{order_id}能改成花呗吗" if chat.language == "zh" else f"can i change order {order_id} to alipay?")
    chat.say(tail)
    chat.player.agent_answers(chat)


def wants_a_human(chat: Chat) -> None:
    if chat.player.rng.random() < 0.5:
        chat.say(chat.pick(FAQ))
    chat.say(chat.pick(HUMAN))
    chat.player.agent_answers(chat)


def not_understood(chat: Chat) -> None:
    chat.say(chat.pick(MISSES))
    guesses = [b for b in chat.buttons if b.get("payload", "").startswith("/ask_")]
    if guesses and chat.player.rng.random() < 0.5:
        chat.say(guesses[0]["payload"])
    else:
        chat.say(chat.pick(FAQ if chat.player.rng.random() < 0.6 else MISSES))
    if chat.player.rng.random() < 0.5:
        chat.say(chat.pick(BYE))


KINDS: Dict[Callable[[Chat], None], int] = {
    questions: 45,
    change: 20,
    paid_order: 10,
    wants_a_human: 10,
    not_understood: 15,
}


def start_times(rng: random.Random, count: int, now: datetime) -> List[datetime]:
    """Moments of the past DAYS days, mostly in the mall's daytime, oldest first."""
    today = now.astimezone(MALL_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    moments = []
    while len(moments) < count:
        moment = today - timedelta(days=rng.randrange(DAYS)) + timedelta(hours=rng.triangular(7, 23.9, 15))
        if moment < now - timedelta(hours=1):
            moments.append(moment)
    return sorted(moments)


def play(player: Player, count: int) -> None:
    rng = player.rng
    run = secrets.token_hex(3)
    for number, start in enumerate(start_times(rng, count, datetime.now(timezone.utc))):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        chat = Chat(player, f"demo-{run}-{number:03d}", "zh" if rng.random() < 0.6 else "en", [])
        kind(chat)
        delays = AgentDelays(timedelta(seconds=rng.randint(30, 900)), timedelta(seconds=rng.randint(120, 1500)))
        redate(player.log, player.store, chat.sender, start, delays)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    workdir = settings.VAR / "demo-traffic"
    workdir.mkdir(parents=True, exist_ok=True)
    stores = {settings.CONVERSATIONS_DB_ENV: str(settings.conversations_db())}
    key, actions_port = secrets.token_urlsafe(32), free_port()
    orders_db = settings.orders_db()
    with (
        running_actions(workdir, orders_db, actions_port, extra_env=stores),
        running_rasa(workdir, actions_port, orders_db, extra_args=rasa_api_args(key), extra_env=stores) as url,
    ):
        log, store = ConversationLog(settings.conversations_database()), OrderStore(settings.orders_database())
        try:
            play(Player(url, key, log, store, args.seed), args.sessions)
        finally:
            log.close()
            store.close()
    print(f"{args.sessions} sessions played; logs in {Path(workdir).relative_to(settings.ROOT)}/. Now: make insights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
