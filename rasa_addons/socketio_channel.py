"""The socket.io channel of the chat widget, with the door (rasa_addons.door), presence and
sealed conversations. Named in credentials.yml by module path, with Rasa's socketio
credentials; it keeps Rasa's channel name ("socketio").

- A request body over MAX_REQUEST_BYTES is refused before it is read (engine.io's
  max_http_buffer_size, also over the websocket).
- Who may talk in which conversation (mall.identity): a browser from another origin than the
  mall page's (MALL_PAGE_ORIGINS) is refused at the engine.io handshake. The conversation is
  the one of the browser's chat cookie, read from the handshake or, as rasa-webchat's first
  request (long polling to another port) carries no cookies, from the websocket upgrade that
  follows; the session id the client asks for is ignored, and messages go to the socket's
  own conversation whatever session id they name. So a browser that copies another one's
  session id gets a conversation of its own, and replies (the assistant's, an agent's) reach
  only the sockets of the browser that owns the conversation. A customer token in a
  message's customData is checked before the message is handled; a bad one gets a clear
  reply and nothing else.
- Presence: which conversations have a widget connected (mall.conversations, shared by every
  Rasa server and read by the agent console). What the assistant or an agent said while a
  conversation had no widget connected (the customer closed the tab) is delivered when the
  customer comes back. With REDIS_URL set, what any Rasa instance emits reaches the widget on
  whichever instance it is connected to (rasa_addons.socket_queue).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from socketio import AsyncServer

from mall import settings
from mall.conversations import ConversationLog
from mall.identity import (
    CHAT_COOKIE,
    TOKEN_FIELD,
    Identity,
    TokenRefused,
    checked_metadata,
    conversation_id,
    one_off_conversation_id,
    verify_token,
)
from rasa_addons.door import Door, OnNewMessage, request_client
from rasa_addons.plain_text import as_plain_text
from rasa_addons.socket_queue import share_rooms

logger = logging.getLogger(__name__)

SIGN_IN_REFUSED = {"expired": "utter_sign_in_expired", "invalid": "utter_sign_in_invalid"}
# How long a session request waits for the websocket upgrade that brings the chat cookie.
UPGRADE_WAIT_SECONDS = 3.0


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


def _chat_cookie(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    try:
        cookie = SimpleCookie(header).get(CHAT_COOKIE)
    except CookieError:
        return None
    return cookie.value if cookie and cookie.value else None


def _metadata(data: Dict[str, Any], key: str) -> Dict[str, Any]:
    """A message's customData: an object, or JSON text of one; anything else counts as none."""
    metadata = data.get(key) or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


class WidgetOutput(SocketIOOutput):
    """Rasa's socket.io output; what agents write (metadata `from_agent`) is plain text."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        if kwargs.get("from_agent"):
            text = as_plain_text(text)
        await super().send_text_message(recipient_id, text, **kwargs)


@dataclass
class _Socket:
    client: str  # pseudonym of the address (mall.identity.client_key)
    polling: bool  # connected by long polling: the chat cookie comes with the upgrade
    chat_secret: Optional[str] = None  # from the handshake, or the websocket upgrade
    conversation: Optional[str] = None  # once the session request is answered


class SocketIOChannel(SocketIOInput):
    """Rasa's handlers of connect, session_request, user_uttered and disconnect are replaced
    by the methods below (python-socketio keeps one handler per event)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._door = Door()
        self._guarded: Optional[OnNewMessage] = None
        self._instance = f"{socket.gethostname()}:{os.getpid()}"
        self._log: Optional[ConversationLog] = None
        self._origins: List[str] = settings.page_origins()
        self._sockets: Dict[str, _Socket] = {}  # by socket.io sid
        self._upgraded: Dict[str, asyncio.Future] = {}  # engine.io sid -> its upgrade's chat cookie

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WidgetOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        self._guarded = self._door.guard(on_new_message)
        blueprint = super().blueprint(self._guarded)
        sio = self._server()
        redis_url = settings.redis_url()
        if redis_url:  # several Rasa instances: emits go through Redis (before any socket connects)
            share_rooms(sio, redis_url)
        sio.eio.max_http_buffer_size = settings.MAX_REQUEST_BYTES
        sio.eio.handle_request = _ends_without_a_response(self._checked(sio.eio.handle_request))
        self._door.attach(blueprint)
        for event, handler in (
            ("connect", self.on_connect),
            ("session_request", self.on_session_request),
            (self.user_message_evt, self.on_user_message),
            ("disconnect", self.on_disconnect),
        ):
            sio.on(event, handler, namespace=self.namespace)
        return blueprint

    # -- socket.io events ------------------------------------------------------------------

    async def on_connect(self, sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
        request = environ.get("sanic.request")  # engine.io's environ says 127.0.0.1 for everyone
        self._sockets[sid] = _Socket(
            client=request_client(request),
            polling="transport=polling" in environ.get("QUERY_STRING", ""),
            chat_secret=_chat_cookie(environ.get("HTTP_COOKIE")),
        )
        return True

    async def on_session_request(self, sid: Text, data: Optional[Dict]) -> None:
        peer = self._sockets.get(sid)
        if peer is None:
            return
        sio = self._server()
        secret = peer.chat_secret or (await self._cookie_of_upgrade(sid) if peer.polling else None)
        # Whatever session id the client asks for: its own conversation, or, without a chat
        # cookie, one nobody can open again.
        peer.conversation = conversation_id(secret) if secret else one_off_conversation_id()
        entered = sio.enter_room(sid, peer.conversation, namespace=self.namespace)
        if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
            await entered
        await sio.emit("session_confirm", peer.conversation, room=sid, namespace=self.namespace)
        left_at = self._conversations().socket_joined(sid, peer.conversation, self._instance, time.time())
        if left_at is not None:
            await self._deliver_missed(sid, peer.conversation, left_at)

    async def on_user_message(self, sid: Text, data: Any) -> None:
        peer = self._sockets.get(sid)
        if peer is None or peer.conversation is None or self._guarded is None:
            logger.warning("A message on a socket with no session was ignored (session_request comes first).")
            return
        data = data if isinstance(data, dict) else {}
        text = data.get("message")
        metadata = _metadata(data, self.metadata_key)
        identity: Optional[Identity] = None
        refused: Optional[str] = None
        if metadata.get(TOKEN_FIELD) is not None:
            try:
                identity = verify_token(settings.mall_secret(), metadata[TOKEN_FIELD], peer.conversation)
            except TokenRefused as refusal:
                refused = refusal.reason
        message = UserMessage(
            text if isinstance(text, str) else "",
            self.get_output_channel(),
            peer.conversation,
            input_channel=self.name(),
            metadata=checked_metadata(metadata, identity, peer.client),
        )
        if refused:
            logger.info(
                "A message in conversation %s was refused: its sign-in token is %s.", message.sender_id, refused
            )
            await self._door.refuse(message, SIGN_IN_REFUSED[refused])
            return
        await self._guarded(message)

    async def on_disconnect(self, sid: Text) -> None:
        self._sockets.pop(sid, None)
        eio_sid = self._server().manager.eio_sid_from_sid(sid, self._namespace())
        self._upgraded.pop(eio_sid, None)
        self._conversations().socket_left(sid, time.time())

    # -- helpers -----------------------------------------------------------------------------

    def _server(self) -> AsyncServer:
        assert self.sio is not None  # set by Rasa's blueprint()
        return self.sio

    def _namespace(self) -> str:
        return self.namespace or "/"

    def _conversations(self) -> ConversationLog:
        if self._log is None:
            self._log = ConversationLog(settings.conversations_database())
            self._log.forget_sockets([i for i in self._log.instances() if not _alive(i)], time.time())
        return self._log

    def _checked(self, handle_request: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Every engine.io request: refused from another origin than the page's (a browser
        always names it; python-engineio checks nothing when Rasa turns its CORS off), and
        the chat cookie of a websocket upgrade kept for the socket's session request."""

        async def handle(request: Request, *args: Any, **kwargs: Any) -> Any:
            origin = request.headers.get("origin")
            if origin and origin not in self._origins:
                logger.warning("A socket.io request from origin %s was refused.", origin)
                return response.text("This origin may not open the chat.", status=403)
            eio_sid = request.args.get("sid")
            if eio_sid and request.args.get("transport") == "websocket" and eio_sid in self._server().eio.sockets:
                arrived = self._upgraded.setdefault(eio_sid, asyncio.get_running_loop().create_future())
                if not arrived.done():
                    arrived.set_result(request.cookies.get(CHAT_COOKIE) or None)
            return await handle_request(request, *args, **kwargs)

        return handle

    async def _cookie_of_upgrade(self, sid: Text) -> Optional[str]:
        """The chat cookie the socket's websocket upgrade brought: rasa-webchat first
        connects by long polling, which sends no cookies to another port, and upgrades right
        away. None if it does not upgrade in time."""
        eio_sid = self._server().manager.eio_sid_from_sid(sid, self._namespace())
        if eio_sid is None:
            return None
        arrived = self._upgraded.setdefault(eio_sid, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(arrived), UPGRADE_WAIT_SECONDS)
        except asyncio.TimeoutError:
            logger.info("A socket brought no chat cookie: it gets a conversation of its own.")
            return None

    async def _deliver_missed(self, sid: Text, sender_id: Text, since: float) -> None:
        """To this socket only: what was said since the conversation's last widget left."""
        output = WidgetOutput(self._server(), self.bot_message_evt)
        missed = self._conversations().bot_messages_since(sender_id, since)
        for event in missed:
            message = BotUttered(event.get("text"), event.get("data") or {}, event.get("metadata") or {}).message()
            await output.send_response(sid, message)
        if missed:
            logger.info("Delivered %d messages sent while conversation %s was away.", len(missed), sender_id)
