"""The door of the Rasa server: what happens to a customer's message before Rasa's agent
handles it, the same for every channel (rasa_addons.rest_channel, .socketio_channel).

Each channel hands its messages to `Door.guard(on_new_message)`, Rasa's handler, which is
`Agent.handle_message` (take the conversation's lock, read it, run the dialogue, save it):

1. a message longer than mall.settings.MAX_MESSAGE_CHARS is answered with
   utter_message_too_long and goes no further (the cost of NLU grows with a message's
   length; docs/RELIABILITY.md);
2. the message is read (NLU in a worker thread, rasa_addons.nlu_threads): a typed label of a
   button the assistant just showed is that button (rasa_addons.typed_buttons); a message of
   several questions the assistant answers from its knowledge becomes that many messages
   (rasa_addons.multiple_questions); Rasa gets each with its parse and does not parse again;
3. one conversation's messages pass in the order they came (a message parsed sooner does
   not overtake an earlier one on its way to Rasa's lock);
4. when Redis or the database cannot be reached (at the lock, the conversation, or the
   button lookup), the customer gets the apology (rasa_addons.apology) and nothing of the
   message is kept, so saying it again carries on where the conversation was.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic
from sanic.request import Request

from mall import settings
from mall.identity import client_address, client_key
from rasa_addons import metrics, multiple_questions, nlu_threads, startup, typed_buttons
from rasa_addons.apology import STORE_FAILURES, apologise, refuse
from rasa_addons.tracker_store import WindowedTrackerStore

logger = logging.getLogger(__name__)

MESSAGE_TOO_LONG = "utter_message_too_long"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def request_client(request: Optional[Request]) -> str:
    """A pseudonym of the client's address (mall.identity), behind a trusted balancer too."""
    peer, forwarded_for = (request.ip, request.headers.get("x-forwarded-for")) if request is not None else (None, None)
    return client_key(client_address(peer, forwarded_for), settings.mall_secret() or "")


def _with_parse(message: UserMessage, parse_data: Dict[str, Any], text: Optional[str] = None) -> UserMessage:
    """The message as Rasa should handle it: `text` (the customer's words) read as `parse_data`."""
    text = message.text if text is None else text
    return UserMessage(
        text,
        message.output_channel,
        message.sender_id,
        parse_data={**parse_data, "text": text},
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata=message.metadata,
    )


class InOrder:
    """Turns, one conversation at a time, in arrival order (asyncio.Lock wakes its waiters
    first come, first served); a conversation with nobody waiting holds nothing."""

    def __init__(self) -> None:
        self._locks: Dict[str, asyncio.Lock] = {}
        self._waiting: Counter[str] = Counter()

    @asynccontextmanager
    async def turn(self, conversation: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(conversation, asyncio.Lock())
        self._waiting[conversation] += 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[conversation] -= 1
            if not self._waiting[conversation]:
                del self._waiting[conversation], self._locks[conversation]


class Door:
    def __init__(self) -> None:
        self._app: Optional[Sanic] = None
        self._in_order = InOrder()

    def attach(self, blueprint: Blueprint) -> None:
        """The server-start work (rasa_addons.startup), and this door's view of the app."""

        def remember_app(app: Sanic) -> None:
            self._app = app

        startup.register(blueprint, remember_app)

    def agent(self) -> Optional[Agent]:
        """Rasa's agent, once its model is loaded."""
        agent = getattr(self._app.ctx, "agent", None) if self._app else None
        return agent if agent is not None and agent.is_ready() else None

    def guard(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def handle(message: UserMessage) -> None:
            # One conversation's messages pass in the order they came: a short message parsed
            # sooner must not overtake a longer one and reach Rasa's lock before it.
            async with self._in_order.turn(message.sender_id):
                await self._handle(message, on_new_message)

        return handle

    async def _handle(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        agent = self.agent()
        if agent is None:  # still loading: Rasa answers that itself
            await on_new_message(message)
            return
        if len(message.text or "") > settings.MAX_MESSAGE_CHARS:
            await self._refuse_too_long(agent, message)
            return
        try:
            with metrics.message_measured(message.input_channel, message.text):
                for meant in await self._read(agent, message):
                    await on_new_message(meant)
        except STORE_FAILURES as failure:
            logger.error(
                "Conversation %s: the lock store or the conversation store failed (%s: %s); "
                "the customer gets the apology and can say it again.",
                message.sender_id,
                type(failure).__name__,
                failure,
            )
            await apologise(agent, message)

    async def refuse(self, message: UserMessage, response: str, **variables: Any) -> None:
        """Answer `message` with `response` and do nothing else with it."""
        agent = self.agent()
        if agent is not None:
            await refuse(agent, message, response, **variables)

    async def _refuse_too_long(self, agent: Agent, message: UserMessage) -> None:
        logger.info(
            "A message of %d characters in conversation %s was refused (limit %d).",
            len(message.text or ""),
            message.sender_id,
            settings.MAX_MESSAGE_CHARS,
        )
        await refuse(agent, message, MESSAGE_TOO_LONG, max_chars=settings.MAX_MESSAGE_CHARS)

    async def _read(self, agent: Agent, message: UserMessage) -> List[UserMessage]:
        """The message as the customer meant it: one or several messages, each parsed."""
        if message.parse_data or not (message.text or "").strip():
            return [message]
        payload = await self._pressed_button(agent, message)
        if payload:
            as_pressed = UserMessage(payload, sender_id=message.sender_id, metadata=message.metadata)
            return [_with_parse(message, await nlu_threads.parse(agent, as_pressed))]
        questions = multiple_questions.clauses(message.text)
        if multiple_questions.could_be_several(questions):
            parsed = [
                await nlu_threads.parse(agent, UserMessage(question, sender_id=message.sender_id))
                for question in questions
            ]
            if multiple_questions.are_separate_questions(parsed):
                return [
                    _with_parse(message, parse, question) for question, parse in zip(questions, parsed, strict=True)
                ]
        return [_with_parse(message, await nlu_threads.parse(agent, message))]

    @staticmethod
    async def _pressed_button(agent: Agent, message: UserMessage) -> Optional[str]:
        store = agent.tracker_store
        if not typed_buttons.could_be_a_label(message.text) or not isinstance(store, WindowedTrackerStore):
            return None
        return typed_buttons.pressed_button(message.text, await store.latest_buttons(message.sender_id))
