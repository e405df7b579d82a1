"""The REST and socket.io channels, with a door: limits checked before Rasa sees a message.

Named in credentials.yml by their module path; they keep Rasa's channel names ("rest",
"socketio"), so URLs, `input_channel` and the agent console's `output_channel` are the same.

- A message longer than mall.settings.MAX_MESSAGE_CHARS is answered with
  utter_message_too_long, in the customer's language, and goes no further: no NLU, nothing
  stored. (The cost of NLU grows with a message's length; docs/RELIABILITY.md.)
- A request body over MAX_REQUEST_BYTES is refused before it is read: Sanic's
  REQUEST_MAX_SIZE (REST and socket.io's long polling) and engine.io's
  max_http_buffer_size (socket.io packets, also over the websocket).

The socket.io channel also keeps track of which conversations have a widget connected
(mall.conversations, shared by every Rasa server and read by the agent console). What the
assistant or an agent said while a conversation had no widget connected (the customer
closed the tab) is delivered when the customer comes back. With REDIS_URL set, what any
Rasa instance emits reaches the widget on whichever instance it is connected to
(rasa_addons.socket_queue).
"""

from __future__ import annotations

import gc
import inspect
import logging
import os
import socket
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

from mall import settings
from mall.conversations import ConversationLog
from rasa_addons.socket_queue import share_rooms

logger = logging.getLogger(__name__)

MESSAGE_TOO_LONG = "utter_message_too_long"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Door:
    """Checks each message before it is handed to the agent."""

    def __init__(self) -> None:
        self._app: Optional[Sanic] = None

    def attach(self, blueprint: Blueprint) -> None:
        @blueprint.listener("before_server_start")
        async def limit_request_size(app: Sanic, _: Any) -> None:
            # Sanic reads this for every new connection (sanic/server/protocols).
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, settings.MAX_REQUEST_BYTES)
            self._app = app

        @blueprint.listener("after_server_start")
        async def keep_the_model_out_of_garbage_collection(app: Sanic, _: Any) -> None:
            # The loaded model is about 490,000 objects that live as long as the server. A full
            # garbage collection walked them all, 0.4-0.5 s with every customer waiting, and
            # long messages (many short-lived objects) brought those on more often. Frozen
            # objects are left out of collections; only what is created later is scanned.
            # (After Rasa's own before_server_start listener has loaded the model.)
            gc.freeze()

    def guard(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def handle(message: UserMessage) -> Any:
            if len(message.text or "") > settings.MAX_MESSAGE_CHARS:
                return await self._refuse_too_long(message)
            return await on_new_message(message)

        return handle

    async def _refuse_too_long(self, message: UserMessage) -> None:
        agent = self._app.ctx.agent if self._app else None
        logger.info(
            "A message of %d characters in conversation %s was refused (limit %d).",
            len(message.text or ""),
            message.sender_id,
            settings.MAX_MESSAGE_CHARS,
        )
        if agent is None or agent.tracker_store is None or agent.nlg is None:
            return
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is None:
            tracker = DialogueStateTracker(message.sender_id, agent.domain.slots)
        # The reply is in this message's language, like any other reply; the tracker with
        # the message on it is never saved.
        tracker.update(UserUttered((message.text or "")[: settings.MAX_MESSAGE_CHARS], metadata=message.metadata))
        response = await agent.nlg.generate(
            MESSAGE_TOO_LONG, tracker, message.output_channel.name(), max_chars=settings.MAX_MESSAGE_CHARS
        )
        if response:
            await message.output_channel.send_response(message.sender_id, response)


def _ends_without_a_response(handle_request: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """engine.io serves socket.io on a plain Sanic route. A websocket request ends, when the
    customer leaves, with no HTTP response to return, and Sanic then logs a ServerError
    traceback ("Invalid response type None") for every disconnect. Sanic accepts that from
    handlers marked as websocket handlers (sanic/app.py), so the route's handler is marked;
    a polling request still returns its HTTP response as before."""

    async def handle(*args: Any, **kwargs: Any) -> Any:
        return await handle_request(*args, **kwargs)

    handle.is_websocket = True  # type: ignore[attr-defined]
    return handle


class RestChannel(RestInput):
    """`rest` with the door."""

    def __init__(self) -> None:
        super().__init__()
        self._door = Door()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self._door.guard(on_new_message))
        self._door.attach(blueprint)
        return blueprint


def _alive(instance: str) -> bool:
    """Whether the server that wrote `instance` (host:pid) may still run."""
    host, _, pid = instance.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SocketIOChannel(SocketIOInput):
    """`socketio` with the door and presence (credentials as Rasa's socketio channel)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._door = Door()
        self._instance = f"{socket.gethostname()}:{os.getpid()}"
        self._log: Optional[ConversationLog] = None

    def _conversations(self) -> ConversationLog:
        if self._log is None:
            self._log = ConversationLog(settings.conversations_database())
            self._log.forget_sockets([i for i in self._log.instances() if not _alive(i)], time.time())
        return self._log

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self._door.guard(on_new_message))
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        redis_url = settings.redis_url()
        if redis_url:  # several Rasa instances: emits go through Redis (before any socket connects)
            share_rooms(sio, redis_url)
        sio.eio.max_http_buffer_size = settings.MAX_REQUEST_BYTES
        sio.eio.handle_request = _ends_without_a_response(sio.eio.handle_request)
        self._door.attach(blueprint)

        # These replace Rasa's handlers of the same events (python-socketio keeps one each).
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data or {}
            session_id = data.get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)
            sender_id = session_id if self.session_persistence else sid
            left_at = self._conversations().socket_joined(sid, sender_id, self._instance, time.time())
            if left_at is not None:
                await self._deliver_missed(sid, sender_id, left_at)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            self._conversations().socket_left(sid, time.time())

        return blueprint

    async def _deliver_missed(self, sid: Text, sender_id: Text, since: float) -> None:
        """To this socket only: what was said since the conversation's last widget left."""
        assert self.sio is not None
        output = SocketIOOutput(self.sio, self.bot_message_evt)
        missed = self._conversations().bot_messages_since(sender_id, since)
        for event in missed:
            message = BotUttered(event.get("text"), event.get("data") or {}, event.get("metadata") or {}).message()
            await output.send_response(sid, message)
        if missed:
            logger.info("Delivered %d messages sent while conversation %s was away.", len(missed), sender_id)
