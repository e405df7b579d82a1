"""The console's live channel, and the helpdesk's clockwork.

Live channel: GET /agent/api/live is a stream of server-sent events (the console's script
reads it with EventSource). While one is open, its agent is online (mall.agents). Its events
say what changed: `tickets` (the list, or a ticket's notes or history: fetch again),
`conversation` (a ticket's messages), `signed_out` (the account was disabled or its password
reset: the stream ends). Behind nginx (make serve-cluster) its location is not buffered
(launcher.cluster).

The monitor, one task of the web app, every TICK_SECONDS, and at once when a request pokes it:
- records who is online (AGENT_HEARTBEAT_SECONDS), and signs out the streams whose account no
  longer lets them in;
- gives the queue to free agents (mall.assignment's dispatch);
- tells each waiting customer what changed, through Rasa: action_handoff_update
  (actions.handoff) says it once, whoever asks how often (mall.tickets' tell);
- closes the tickets idle for HANDOFF_IDLE_MINUTES and hands their conversations back to the
  assistant with utter_handoff_idle_closed;
- compares the open tickets, their conversations and the audit trail with what it saw last,
  and tells the streams what changed.
The web app is one process, in the cluster too; each of those changes re-checks its state in
its own transaction, so a second monitor would still say nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

import aiohttp
from aiohttp import web

from mall import settings
from mall.tickets import TicketStatus
from mall.transcripts import TRANSCRIPT_MAX_CHARS, bounded, conversation_lines
from webapp.console_auth import CONVERSATIONS, STORE, current_agent
from webapp.rasa_api import RASA

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 15.0  # a comment line, so that proxies keep the stream open
RETRY_SECONDS = 10.0  # before telling a customer again after Rasa failed to
IDLE_RESPONSE = "utter_handoff_idle_closed"


@dataclass(eq=False)
class Stream:
    agent: str
    version: int  # the account's session_version when the session began
    events: asyncio.Queue[Tuple[str, Dict[str, Any]]] = field(default_factory=asyncio.Queue)


class LiveHub:
    """The open streams, by agent."""

    def __init__(self) -> None:
        self.streams: Set[Stream] = set()

    def open(self, agent: str, version: int) -> Tuple[Stream, bool]:
        """A new stream, and whether it is the agent's first (they just came online)."""
        first = agent not in self.agents()
        stream = Stream(agent, version)
        self.streams.add(stream)
        return stream, first

    def close(self, stream: Stream) -> bool:
        """Whether that was the agent's last stream (they went offline)."""
        self.streams.discard(stream)
        return stream.agent not in self.agents()

    def agents(self) -> Set[str]:
        return {stream.agent for stream in self.streams}

    def publish(self, event: str, data: Optional[Dict[str, Any]] = None, only: Optional[List[Stream]] = None) -> None:
        for stream in list(self.streams) if only is None else only:
            stream.events.put_nowait((event, data or {}))


class Monitor:
    def __init__(self, app: web.Application, hub: LiveHub) -> None:
        self._app = app
        self._hub = hub
        self._poked = asyncio.Event()
        self._last_heartbeat = 0.0
        self._seen: Optional[Tuple[Any, Dict[str, int]]] = None
        # (ticket, its agent, its place in the queue) -> when Rasa was last asked to tell that
        self._told_at: Dict[Tuple[str, Optional[str], Optional[int]], float] = {}

    def poke(self) -> None:
        self._poked.set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the database or Rasa away for a moment: the next tick tries again
                logger.exception("The helpdesk monitor's tick failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._poked.wait(), TICK_SECONDS)
            self._poked.clear()

    async def tick(self) -> None:
        self._presence()
        store = self._app[STORE]
        if self._hub.agents():
            store.assignment.dispatch()
        await self._tell_customers()
        await self._close_idle()
        self._publish_changes()

    def _presence(self) -> None:
        store, now = self._app[STORE], time.monotonic()
        if now - self._last_heartbeat >= settings.AGENT_HEARTBEAT_SECONDS:
            store.agents.seen(self._hub.agents())
            self._last_heartbeat = now
        accounts = {agent.name: agent for agent in store.agents.listed()}
        ended = []
        for stream in self._hub.streams:
            agent = accounts.get(stream.agent)
            if agent is None or agent.disabled or agent.session_version != stream.version:
                ended.append(stream)
        self._hub.publish("signed_out", only=ended)

    async def _tell_customers(self) -> None:
        now = time.monotonic()
        self._told_at = {key: at for key, at in self._told_at.items() if now - at < RETRY_SECONDS}
        for ticket, position in self._app[STORE].assignment.untold():
            news = (ticket.ticket_id, ticket.assigned_to, position)  # news is told at once; the same again, later
            if news in self._told_at:
                continue
            self._told_at[news] = now
            try:
                await self._app[RASA].tell_the_wait(ticket.sender_id)
            except aiohttp.ClientError as failure:
                logger.warning("Could not tell the customer of %s about their wait: %s", ticket.ticket_id, failure)

    async def _close_idle(self) -> None:
        store, rasa, minutes = self._app[STORE], self._app[RASA], settings.handoff_idle_minutes()
        for ticket in store.tickets.idle(minutes):
            try:
                transcript = bounded(conversation_lines(await rasa.events(ticket.sender_id)), TRANSCRIPT_MAX_CHARS)
            except aiohttp.ClientError as failure:
                logger.warning("Could not read the conversation of idle ticket %s: %s", ticket.ticket_id, failure)
                continue
            if not store.tickets.close_idle(ticket.ticket_id, minutes, transcript):
                continue  # the customer wrote meanwhile
            try:
                await rasa.hand_back_to_assistant(ticket.sender_id, IDLE_RESPONSE)
            except aiohttp.ClientError as failure:
                # The customer's next message finds the ticket closed and gets the assistant back.
                logger.warning("Closed idle ticket %s; the assistant could not say so: %s", ticket.ticket_id, failure)

    def _publish_changes(self) -> None:
        store = self._app[STORE]
        tickets = store.tickets.listed(TicketStatus.OPEN)
        conversations = self._app.get(CONVERSATIONS)
        activity = conversations.activity([t.sender_id for t in tickets]) if conversations else {}
        state = (
            store.audit.latest_id(),
            tuple(
                (t.ticket_id, t.assigned_to, t.agent_joined_at, activity.get(t.sender_id, (0, None))[1])
                for t in tickets
            ),
        )
        counts = {t.ticket_id: activity.get(t.sender_id, (0, False))[0] for t in tickets}
        if self._seen is not None:
            if state != self._seen[0]:
                self._hub.publish("tickets")
            for ticket_id, count in counts.items():
                if self._seen[1].get(ticket_id) != count:
                    self._hub.publish("conversation", {"ticket_id": ticket_id})
        self._seen = (state, counts)


HUB = web.AppKey("live_hub", LiveHub)
MONITOR = web.AppKey("helpdesk_monitor", Monitor)


def poke(app: web.Application) -> None:
    """Something changed: the monitor looks now rather than at its next tick."""
    if MONITOR in app:
        app[MONITOR].poke()


def _event(name: str, data: Dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def live(request: web.Request) -> web.StreamResponse:
    agent, hub = current_agent(request), request.app[HUB]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    stream, first = hub.open(agent.name, request["session"].version)
    if first:
        request.app[STORE].agents.seen([agent.name])  # online at once: assignment may pick them now
        poke(request.app)
    try:
        await response.write(b"retry: 2000\n\n" + _event("hello", {"agent": agent.name}))
        quiet_since = time.monotonic()
        while request.transport is not None and not request.transport.is_closing():
            try:  # a short wait: a closed tab is noticed within a second (aiohttp does not cancel us)
                name, data = await asyncio.wait_for(stream.events.get(), TICK_SECONDS)
            except asyncio.TimeoutError:
                if time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
                    await response.write(b": keep-alive\n\n")
                    quiet_since = time.monotonic()
                continue
            if name == "closing":
                break
            await response.write(_event(name, data))
            quiet_since = time.monotonic()
            if name == "signed_out":
                break
    except ConnectionResetError:
        pass  # the tab closed
    finally:
        if hub.close(stream):
            request.app[STORE].agents.gone(agent.name)
            poke(request.app)
    return response


def add_live(app: web.Application) -> None:
    hub = app[HUB] = LiveHub()

    async def run_monitor(app: web.Application):
        monitor = app[MONITOR] = Monitor(app, hub)
        task = asyncio.create_task(monitor.run())
        yield
        task.cancel()

    async def end_streams(app: web.Application) -> None:
        hub.publish("closing")  # the server is shutting down: no stream holds it up

    app.cleanup_ctx.append(run_monitor)
    # aiohttp 3.9 types this signal's callbacks wrongly (aiosignal's Signal[T] takes T's callers)
    app.on_shutdown.append(end_streams)  # type: ignore[arg-type]
    app.router.add_get("/agent/api/live", live)
