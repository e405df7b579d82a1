"""Rasa's HTTP API, as the agent console calls it.

Rasa takes its `--auth-token` only as a `?token=` query parameter (Rasa 3.6's
server.requires_auth), where proxies and access logs keep it; it also accepts a JWT in the
Authorization header when started with `--jwt-secret`. So RASA_TOKEN is that JWT key: each
call carries a JWT valid for a minute, in a header, and the key never leaves the web app.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List
from urllib.parse import quote

import aiohttp
import jwt
from aiohttp import web

from mall.language import conversation_language
from mall.support import WAITING_FOR_AGENT_SLOT

RASA_JWT_SECONDS = 60
LIVE_CHANNEL = "socketio"  # where the customers' widgets listen
UPDATE_ACTION = "action_handoff_update"  # tells a waiting customer how their wait stands now
RATING_ACTION = "action_ask_rating"  # asks for a rating when the hand-back is the moment (actions.feedback)


def rasa_api_headers(key: str) -> Dict[str, str]:
    """What a call of Rasa's HTTP API carries: a JWT signed with the key Rasa was started
    with (--jwt-secret), valid for a minute."""
    claims = {"user": {"username": "agent-console", "role": "admin"}, "exp": int(time.time()) + RASA_JWT_SECONDS}
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='HS256')}"}


def customer_language(tracker: Dict[str, Any]) -> str:
    """The language the customer writes in now, from Rasa's tracker (mall.language)."""
    turns = (
        (event.get("text"), event.get("metadata"))
        for event in reversed(tracker.get("events") or [])
        if event.get("event") == "user"
    )
    return conversation_language(turns, (tracker.get("slots") or {}).get("language"))


class RasaAPI:
    """The few calls of Rasa's HTTP API the console needs, each with a short JWT in the
    Authorization header."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession):
        self._base_url = base_url.rstrip("/")
        self._key = token
        self._session = session

    def _headers(self) -> Dict[str, str]:
        return rasa_api_headers(self._key)

    def _url(self, sender_id: str, path: str) -> str:
        return f"{self._base_url}/conversations/{quote(sender_id, safe='')}/{path}"

    async def tracker(self, sender_id: str) -> Dict[str, Any]:
        url = self._url(sender_id, "tracker")
        async with self._session.get(
            url, params={"include_events": "AFTER_RESTART"}, headers=self._headers()
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def events(self, sender_id: str) -> List[Dict[str, Any]]:
        return (await self.tracker(sender_id)).get("events", [])

    async def say_as_agent(self, sender_id: str, text: str, agent: str) -> None:
        event = {"event": "bot", "text": text, "metadata": {"from_agent": True, "agent": agent}}
        params = {"output_channel": LIVE_CHANNEL, "execute_side_effects": "true"}
        url = self._url(sender_id, "tracker/events")
        async with self._session.post(url, params=params, json=event, headers=self._headers()) as response:
            response.raise_for_status()

    async def tell_the_wait(self, sender_id: str) -> None:
        """Let the assistant tell a waiting customer what changed (actions.handoff)."""
        await self._execute(sender_id, UPDATE_ACTION)

    async def hand_back_to_assistant(self, sender_id: str, response: str = "utter_assistant_back") -> None:
        """End the wait for an agent, let the assistant say `response` (that it is back), ask
        for a rating (the action decides: after an agent's close, not after an idle one), and
        wait for the customer. The final action_listen is what Rasa logs itself before a
        customer turn; without it no rule matches the customer's next message. A
        conversation that is not waiting is left as it is, so a repeated call (a retried
        close) changes nothing."""
        slots = (await self.tracker(sender_id)).get("slots") or {}
        if not slots.get(WAITING_FOR_AGENT_SLOT):
            return
        await self._add_event(sender_id, {"event": "slot", "name": WAITING_FOR_AGENT_SLOT, "value": None})
        await self._execute(sender_id, response)
        await self._execute(sender_id, RATING_ACTION)
        await self._add_event(sender_id, {"event": "action", "name": "action_listen"})

    async def _execute(self, sender_id: str, action: str) -> None:
        url = self._url(sender_id, "execute")
        params = {"output_channel": LIVE_CHANNEL}
        async with self._session.post(url, params=params, json={"name": action}, headers=self._headers()) as response:
            response.raise_for_status()

    async def _add_event(self, sender_id: str, event: Dict[str, Any]) -> None:
        url = self._url(sender_id, "tracker/events")
        async with self._session.post(url, json=event, headers=self._headers()) as response:
            response.raise_for_status()


RASA = web.AppKey("rasa", RasaAPI)
