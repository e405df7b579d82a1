"""A customer on the socket.io channel, talking to it the way rasa-webchat does."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any, Dict, List, Optional, Tuple

import socketio

from mall.identity import CHAT_COOKIE

TIMEOUT_SECONDS = 30


class SocketCustomer:
    """`chat_secret` is the browser's chat cookie (mall.identity.CHAT_COOKIE): the same one
    again is the same browser, so the same conversation; without one the socket gets a
    conversation nobody can open again. `session_id` is only what the client asks for: the
    server confirms the conversation it gets, which `session_id` then holds."""

    def __init__(
        self,
        rasa_url: str,
        session_id: Optional[str] = None,
        language: str = "zh",
        chat_secret: Optional[str] = None,
        origin: Optional[str] = None,
        token: Optional[str] = None,
    ) -> None:
        self.rasa_url = rasa_url
        self.session_id = session_id or uuid.uuid4().hex
        self.language = language
        self.chat_secret = chat_secret
        self.origin = origin
        self.token = token
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: List[Dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._confirmed = asyncio.Event()
        self.client.on("bot_uttered", self._on_reply)
        self.client.on("session_confirm", self._on_confirm)

    async def _on_reply(self, data: Dict[str, Any]) -> None:
        self.received.append(data)
        self._arrived.set()

    async def _on_confirm(self, session_id: str) -> None:
        self.session_id = session_id
        self._confirmed.set()

    async def connect(self, transports: Optional[List[str]] = None) -> None:
        headers = {}
        if self.chat_secret:
            headers["Cookie"] = f"{CHAT_COOKIE}={self.chat_secret}"
        if self.origin:
            headers["Origin"] = self.origin
        await self.client.connect(
            self.rasa_url, socketio_path="socket.io", transports=transports or ["websocket"], headers=headers
        )
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self._confirmed.wait(), TIMEOUT_SECONDS)

    async def say(self, text: str) -> None:
        custom_data: Dict[str, Any] = {"language": self.language}
        if self.token:
            custom_data["token"] = self.token
        await self.client.emit(
            "user_uttered", {"message": text, "customData": custom_data, "session_id": self.session_id}
        )

    async def wait_for(self, *fragments: str, timeout: float = TIMEOUT_SECONDS, after: int = 0) -> str:
        """The text of the first reply (received so far or later, from index `after` on) that
        contains one of `fragments`."""
        return self.received[await self._index_of(fragments, timeout, after)]["text"]

    async def _index_of(self, fragments: Tuple[str, ...], timeout: float, after: int) -> int:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for index in range(after, len(self.received)):
                if any(fragment in (self.received[index].get("text") or "") for fragment in fragments):
                    return index
            self._arrived.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                texts = [reply.get("text") for reply in self.received[after:]]
                raise AssertionError(f"no reply with {fragments!r} within {timeout} s; got {texts}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def said_before(self, probe: str, fragment: str) -> List[Dict[str, Any]]:
        """What arrived from now until the reply to `probe` (which contains `fragment`): a
        conversation's messages are handled one at a time and its replies arrive in order, so
        by then everything an earlier message caused has arrived. (A check that something
        stays unanswered, without a fixed wait.)"""
        start = len(self.received)
        await self.say(probe)
        return self.received[start : await self._index_of((fragment,), TIMEOUT_SECONDS, start)]

    async def close(self) -> None:
        await self.client.disconnect()
