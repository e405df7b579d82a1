"""The REST and socket.io channels, with a door: limits checked before Rasa sees a message.

Named in credentials.yml by their module path; they keep Rasa's channel names ("rest",
"socketio"), so URLs, `input_channel` and the agent console's `output_channel` are the same.

- A message longer than mall.settings.MAX_MESSAGE_CHARS is answered with
  utter_message_too_long, in the customer's language, and goes no further: no NLU, nothing
  stored. (The cost of NLU grows with a message's length; docs/RELIABILITY.md.)
- A request body over MAX_REQUEST_BYTES is refused before it is read: Sanic's
  REQUEST_MAX_SIZE (REST and socket.io's long polling) and engine.io's
  max_http_buffer_size (socket.io packets, also over the websocket).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

from mall import settings

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


class SocketIOChannel(SocketIOInput):
    """`socketio` with the door (credentials as Rasa's socketio channel)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._door = Door()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self._door.guard(on_new_message))
        assert self.sio is not None  # set by Rasa's blueprint()
        self.sio.eio.max_http_buffer_size = settings.MAX_REQUEST_BYTES
        self.sio.eio.handle_request = _ends_without_a_response(self.sio.eio.handle_request)
        self._door.attach(blueprint)
        return blueprint
