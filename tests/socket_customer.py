"""A customer on the socket.io channel, talking to it the way rasa-webchat does."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any, Dict, List, Optional

import socketio

TIMEOUT_SECONDS = 30


class SocketCustomer:
    def __init__(self, rasa_url: str, session_id: Optional[str] = None, language: str = "zh") -> None:
        self.rasa_url = rasa_url
        self.session_id = session_id or uuid.uuid4().hex
        self.language = language
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: List[Dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._confirmed = asyncio.Event()
        self.client.on("bot_uttered", self._on_reply)
        self.client.on("session_confirm", lambda *_: self._confirmed.set())

    async def _on_reply(self, data: Dict[str, Any]) -> None:
        self.received.append(data)
        self._arrived.set()

    async def connect(self, transports: Optional[List[str]] = None) -> None:
        await self.client.connect(self.rasa_url, socketio_path="socket.io", transports=transports or ["websocket"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self._confirmed.wait(), TIMEOUT_SECONDS)

    async def say(self, text: str) -> None:
        await self.client.emit(
            "user_uttered", {"message": text, "customData": {"language": self.language}, "session_id": self.session_id}
        )

    async def wait_for(self, fragment: str, timeout: float = TIMEOUT_SECONDS) -> str:
        """The text of the first reply (received so far or later) that contains `fragment`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for reply in self.received:
                if fragment in (reply.get("text") or ""):
                    return reply["text"]
            self._arrived.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                texts = [reply.get("text") for reply in self.received]
                raise AssertionError(f"no reply with {fragment!r} within {timeout} s; got {texts}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def close(self) -> None:
        await self.client.disconnect()
