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

Who may talk in which conversation (mall.identity):
- socket.io: a browser from another origin than the mall page's (MALL_PAGE_ORIGINS) is
  refused at the engine.io handshake. The conversation is the one of the browser's chat
  cookie, read from the handshake or, as rasa-webchat's first request (long polling to
  another port) carries no cookies, from the websocket upgrade that follows; the session id
  the client asks for is ignored, and messages go to the socket's own conversation whatever
  session id they name. So a browser that copies another one's session id gets a
  conversation of its own, and replies (the assistant's, an agent's) reach only the sockets
  of the browser that owns the conversation. A customer token in a message's customData is
  checked before the message is handled; a bad one gets a clear reply and nothing else.
- REST: a caller names its conversation (`sender`, required) but never a widget's
  (mall.identity.WIDGET_PREFIX), is always anonymous and always channel `rest`; a body that
  is not a JSON object is a 400.
Both write what they checked (the customer, a pseudonym of the client's address) under
mall.identity.METADATA_KEY, and drop whatever a client sent there.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import os
import re
import socket
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from mall import settings
from mall.conversations import ConversationLog
from mall.identity import (
    CHAT_COOKIE,
    TOKEN_FIELD,
    WIDGET_PREFIX,
    Identity,
    TokenRefused,
    checked_metadata,
    client_address,
    client_key,
    conversation_id,
    one_off_conversation_id,
    verify_token,
)
from rasa_addons.socket_queue import share_rooms

logger = logging.getLogger(__name__)

MESSAGE_TOO_LONG = "utter_message_too_long"
SIGN_IN_REFUSED = {"expired": "utter_sign_in_expired", "invalid": "utter_sign_in_invalid"}
MAX_SENDER_CHARS = 128
# How long a session request waits for the websocket upgrade that brings the chat cookie.
UPGRADE_WAIT_SECONDS = 3.0

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
        logger.info(
            "A message of %d characters in conversation %s was refused (limit %d).",
            len(message.text or ""),
            message.sender_id,
            settings.MAX_MESSAGE_CHARS,
        )
        await self.refuse(message, MESSAGE_TOO_LONG, max_chars=settings.MAX_MESSAGE_CHARS)

    async def refuse(self, message: UserMessage, response_name: str, **variables: Any) -> None:
        """Answer `message` with `response_name` and do nothing else with it."""
        agent = self._app.ctx.agent if self._app else None
        if agent is None or agent.tracker_store is None or agent.nlg is None:
            return
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is None:
            tracker = DialogueStateTracker(message.sender_id, agent.domain.slots)
        # The reply is in this message's language, like any other reply; the tracker with
        # the message on it is never saved.
        tracker.update(UserUttered((message.text or "")[: settings.MAX_MESSAGE_CHARS], metadata=message.metadata))
        reply = await agent.nlg.generate(response_name, tracker, message.output_channel.name(), **variables)
        if reply:
            await message.output_channel.send_response(message.sender_id, reply)


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


def _client_key(request: Optional[Request]) -> str:
    peer, forwarded_for = (request.ip, request.headers.get("x-forwarded-for")) if request is not None else (None, None)
    return client_key(client_address(peer, forwarded_for), settings.mall_secret() or "")


def _body(request: Request) -> Dict[str, Any]:
    body = request.json  # a body that is not JSON at all: Sanic answers 400 itself
    if not isinstance(body, dict):
        raise InvalidUsage('The body must be a JSON object: {"sender": "...", "message": "..."}.')
    return body


class RestChannel(RestInput):
    """`rest` with the door; its callers are anonymous and cannot reach a widget's
    conversation."""

    def __init__(self) -> None:
        super().__init__()
        self._door = Door()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self._door.guard(on_new_message))
        self._door.attach(blueprint)
        return blueprint

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        """Required (without one Rasa put every such caller into one conversation,
        "default"), and never a widget conversation's id."""
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(f"`sender` is required: a string of 1 to {MAX_SENDER_CHARS} characters.")
        if sender.startswith(WIDGET_PREFIX):
            raise InvalidUsage(f"`sender` cannot start with {WIDGET_PREFIX!r}: those are the chat widget's.")
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("`message` is required: a string.")
        return message

    def _extract_input_channel(self, req: Request) -> Text:
        # Rasa takes `input_channel` from the body: a caller could pass as the widget.
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("`metadata` must be a JSON object.")
        return checked_metadata(metadata, client=_client_key(request))


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


# What rasa-webchat's markdown parser (remark-parse, gfm mode) takes a backslash escape
# for; other characters keep a backslash in front of them. It also links bare
# http(s):// and mailto: addresses, which an invisible word joiner after the scheme stops.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!>~|])")
_AUTOLINK = re.compile(r"(?i)\b(https?|mailto)(?=:)")
WORD_JOINER = "\u2060"


def as_plain_text(text: str) -> str:
    """Text the widget shows as written: rasa-webchat renders bot messages as markdown, so
    an agent's "[help](javascript:...)" would be a link and "![x](http://...)" an image
    fetched from anywhere. (Raw HTML it shows as text already.)"""
    return _AUTOLINK.sub(lambda scheme: scheme.group(1) + WORD_JOINER, _MARKDOWN.sub(r"\\\1", text))


class WidgetOutput(SocketIOOutput):
    """Rasa's socket.io output; what agents write (metadata `from_agent`) is plain text."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        if kwargs.get("from_agent"):
            text = as_plain_text(text)
        await super().send_text_message(recipient_id, text, **kwargs)


def _chat_cookie(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    try:
        cookie = SimpleCookie(header).get(CHAT_COOKIE)
    except CookieError:
        return None
    return cookie.value if cookie and cookie.value else None


@dataclass
class _Socket:
    client: str  # pseudonym of the address (mall.identity.client_key)
    polling: bool  # connected by long polling: the chat cookie comes with the upgrade
    chat_secret: Optional[str] = None  # from the handshake, or the websocket upgrade
    conversation: Optional[str] = None  # once the session request is answered


class SocketIOChannel(SocketIOInput):
    """`socketio` with the door, presence and sealed conversations (credentials as Rasa's
    socketio channel; Rasa's handlers of connect, session_request and user_uttered are
    replaced)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._door = Door()
        self._instance = f"{socket.gethostname()}:{os.getpid()}"
        self._log: Optional[ConversationLog] = None
        self._origins: List[str] = settings.page_origins()
        self._sockets: Dict[str, _Socket] = {}  # by socket.io sid
        self._upgraded: Dict[str, asyncio.Future] = {}  # engine.io sid -> its upgrade's chat cookie

    def _conversations(self) -> ConversationLog:
        if self._log is None:
            self._log = ConversationLog(settings.conversations_database())
            self._log.forget_sockets([i for i in self._log.instances() if not _alive(i)], time.time())
        return self._log

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WidgetOutput(self.sio, self.bot_message_evt)

    def _namespace(self) -> str:
        return self.namespace or "/"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        guarded = self._door.guard(on_new_message)
        blueprint = super().blueprint(guarded)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        redis_url = settings.redis_url()
        if redis_url:  # several Rasa instances: emits go through Redis (before any socket connects)
            share_rooms(sio, redis_url)
        sio.eio.max_http_buffer_size = settings.MAX_REQUEST_BYTES
        sio.eio.handle_request = _ends_without_a_response(self._checked(sio.eio.handle_request))
        self._door.attach(blueprint)

        # These replace Rasa's handlers of the same events (python-socketio keeps one each).
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")  # engine.io's environ says 127.0.0.1 for everyone
            self._sockets[sid] = _Socket(
                client=_client_key(request),
                polling="transport=polling" in environ.get("QUERY_STRING", ""),
                chat_secret=_chat_cookie(environ.get("HTTP_COOKIE")),
            )
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            peer = self._sockets.get(sid)
            if peer is None:
                return
            secret = peer.chat_secret or (await self._cookie_of_upgrade(sid) if peer.polling else None)
            # Whatever session id the client asks for: its own conversation, or, without a
            # chat cookie, one nobody can open again.
            peer.conversation = conversation_id(secret) if secret else one_off_conversation_id()
            entered = sio.enter_room(sid, peer.conversation, namespace=self.namespace)
            if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                await entered
            await sio.emit("session_confirm", peer.conversation, room=sid, namespace=self.namespace)
            left_at = self._conversations().socket_joined(sid, peer.conversation, self._instance, time.time())
            if left_at is not None:
                await self._deliver_missed(sid, peer.conversation, left_at)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            peer = self._sockets.get(sid)
            if peer is None or peer.conversation is None:
                logger.warning("A message on a socket with no session was ignored (session_request comes first).")
                return
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            metadata = metadata if isinstance(metadata, dict) else {}
            output = self.get_output_channel()
            identity: Optional[Identity] = None
            refused: Optional[str] = None
            if metadata.get(TOKEN_FIELD) is not None:
                try:
                    identity = verify_token(settings.mall_secret(), metadata[TOKEN_FIELD], peer.conversation)
                except TokenRefused as refusal:
                    refused = refusal.reason
            message = UserMessage(
                text if isinstance(text, str) else "",
                output,
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
            await guarded(message)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            self._sockets.pop(sid, None)
            eio_sid = sio.manager.eio_sid_from_sid(sid, self._namespace())
            self._upgraded.pop(eio_sid, None)
            self._conversations().socket_left(sid, time.time())

        return blueprint

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
            if eio_sid and request.args.get("transport") == "websocket" and eio_sid in self._engine_sockets():
                arrived = self._upgraded.setdefault(eio_sid, asyncio.get_running_loop().create_future())
                if not arrived.done():
                    arrived.set_result(request.cookies.get(CHAT_COOKIE) or None)
            return await handle_request(request, *args, **kwargs)

        return handle

    def _engine_sockets(self) -> Dict[str, Any]:
        assert self.sio is not None
        return self.sio.eio.sockets

    async def _cookie_of_upgrade(self, sid: Text) -> Optional[str]:
        """The chat cookie the socket's websocket upgrade brought: rasa-webchat first
        connects by long polling, which sends no cookies to another port, and upgrades right
        away. None if it does not upgrade in time."""
        assert self.sio is not None
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, self._namespace())
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
        assert self.sio is not None
        output = WidgetOutput(self.sio, self.bot_message_evt)
        missed = self._conversations().bot_messages_since(sender_id, since)
        for event in missed:
            message = BotUttered(event.get("text"), event.get("data") or {}, event.get("metadata") or {}).message()
            await output.send_response(sid, message)
        if missed:
            logger.info("Delivered %d messages sent while conversation %s was away.", len(missed), sender_id)
