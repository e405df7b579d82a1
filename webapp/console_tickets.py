"""The agent console's tickets: the list (an agent's own and the queue; a supervisor's, all),
one ticket with its conversation, internal notes, the ticket before it and who did what; and
claiming, replying, notes, canned replies, transferring, closing; the history of ended
tickets.

Who may do what is mall.assignment's rule, checked here before anything is sent (403 for
someone else's ticket) and again inside the store's transaction. A reply goes to the
customer signed with the agent's display name, in the customer's language; a note never
leaves the console.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Dict, Optional

import aiohttp
from aiohttp import web

from mall.assignment import Conflict, NotAllowed, may_act, may_view
from mall.canned import fill, variables_for
from mall.privacy import mask_phones_in_text
from mall.tickets import Ticket
from mall.transcripts import TRANSCRIPT_MAX_CHARS, bounded, conversation_lines
from webapp.console_auth import CONVERSATIONS, STORE, current_agent, public_agent
from webapp.console_live import poke
from webapp.rasa_api import RASA, customer_language
from webapp.security import json_object

MAX_REPLY_CHARS = 2000
# How a reply shows the customer who wrote it (the widget shows text only).
SIGNED = {"zh": "{name}：{text}", "en": "{name}: {text}"}

# What the console shows of a ticket (no transcript blob, no sender or customer internals).
_PUBLIC_FIELDS = (
    "ticket_id",
    "order_id",  # proved by the customer
    "claimed_order_id",  # given, not proved
    "reason",
    "status",
    "language",
    "requested_method",
    "created_at",
    "closed_at",
    "agent_joined_at",
    "assigned_to",
    "assigned_at",
    "closed_by",
    "close_reason",
    "previous_ticket_id",
    "live",
    "last_agent_message_at",
)


def public(ticket: Ticket) -> Dict[str, Any]:
    return {field: getattr(ticket, field) for field in _PUBLIC_FIELDS}


def _customer_presence(request: web.Request, ticket: Ticket) -> Dict[str, Any]:
    """Whether the customer's widget is connected now, and since when it is not."""
    conversations = request.app.get(CONVERSATIONS)
    if conversations is None or not ticket.is_open:
        return {"customer_online": None, "customer_left_at": None}
    presence = conversations.presence(ticket.sender_id)
    left_at = None
    if presence.left_at is not None and not presence.online:
        left_at = datetime.fromtimestamp(presence.left_at, timezone.utc).isoformat(timespec="seconds")
    return {"customer_online": presence.online, "customer_left_at": left_at}


def shown(request: web.Request, ticket: Ticket) -> Dict[str, Any]:
    return {**public(ticket), **_customer_presence(request, ticket)}


def _existing(request: web.Request) -> Ticket:
    ticket = request.app[STORE].tickets.get(request.match_info["ticket_id"])
    if ticket is None:
        raise web.HTTPNotFound(text="no such ticket")
    return ticket


def _ticket(request: web.Request) -> Ticket:
    ticket = _existing(request)
    if not may_view(current_agent(request), ticket):
        raise web.HTTPForbidden(text="this ticket is another agent's")
    return ticket


def _acted_on(request: web.Request, open_only: bool = True) -> Ticket:
    """The ticket, if this agent may act on it (its agent, or a supervisor)."""
    ticket = _ticket(request)
    if not may_act(current_agent(request), ticket):
        raise web.HTTPForbidden(text="only the ticket's agent or a supervisor may do that")
    if open_only and not ticket.is_open:
        raise web.HTTPConflict(text="the ticket is closed")
    return ticket


async def _text(request: web.Request, key: str = "text") -> str:
    text = str((await json_object(request)).get(key, "")).strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        raise web.HTTPBadRequest(text=f"1 to {MAX_REPLY_CHARS} characters, please")
    return mask_phones_in_text(text)


async def list_tickets(request: web.Request) -> web.Response:
    store = request.app[STORE]
    tickets = store.assignment.visible_to(current_agent(request))
    return web.json_response({"tickets": [shown(request, ticket) for ticket in tickets]})


async def show_ticket(request: web.Request) -> web.Response:
    ticket = _ticket(request)
    store = request.app[STORE]
    if ticket.is_open:  # the live conversation (the ticket keeps its own snapshot)
        messages = conversation_lines(await request.app[RASA].events(ticket.sender_id))
    else:
        messages = list(ticket.transcript)
    previous = store.tickets.get(ticket.previous_ticket_id) if ticket.previous_ticket_id else None
    queue = store.assignment.queue_status(ticket.ticket_id)
    body = {
        "ticket": shown(request, ticket),
        "messages": messages,
        "notes": [note.__dict__ for note in store.notes.for_ticket(ticket.ticket_id)],
        "history": [entry.__dict__ for entry in store.audit.for_ticket(ticket.ticket_id)],
        "previous": public(previous) if previous else None,
        "queue_position": queue.position if queue else None,
    }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def claim(request: web.Request) -> web.Response:
    """Taken already, by whoever: 409 (the store decides who was first)."""
    ticket = _existing(request)
    try:
        claimed = request.app[STORE].assignment.claim(ticket.ticket_id, current_agent(request))
    except Conflict as taken:
        raise web.HTTPConflict(text=str(taken)) from taken
    poke(request.app)
    return web.json_response({"ok": True, "ticket": public(claimed)})


async def reply(request: web.Request) -> web.Response:
    ticket = _acted_on(request)
    text, agent = await _text(request), current_agent(request)
    rasa = request.app[RASA]
    language = customer_language(await rasa.tracker(ticket.sender_id))
    signed = SIGNED[language].format(name=agent.shown_name(language), text=text)
    await rasa.say_as_agent(ticket.sender_id, signed, agent.name)
    request.app[STORE].tickets.agent_replied(ticket.ticket_id, agent.name)  # the assistant keeps quiet from now on
    poke(request.app)
    return web.json_response({"ok": True})


async def add_note(request: web.Request) -> web.Response:
    """Never sent to the customer: nothing here talks to Rasa."""
    ticket = _acted_on(request, open_only=False)
    try:
        request.app[STORE].assignment.add_note(ticket.ticket_id, current_agent(request), await _text(request))
    except NotAllowed as refused:  # transferred away meanwhile
        raise web.HTTPForbidden(text=str(refused)) from refused
    poke(request.app)
    return web.json_response({"ok": True})


async def transfer(request: web.Request) -> web.Response:
    ticket = _acted_on(request)
    body = await json_object(request)
    to, note = str(body.get("to") or ""), str(body.get("note") or "")
    if len(note) > MAX_REPLY_CHARS:
        raise web.HTTPBadRequest(text=f"a note has at most {MAX_REPLY_CHARS} characters")
    try:
        moved = request.app[STORE].assignment.transfer(ticket.ticket_id, current_agent(request), to, note)
    except NotAllowed as refused:
        raise web.HTTPForbidden(text=str(refused)) from refused
    except Conflict as stale:
        raise web.HTTPConflict(text=str(stale)) from stale
    except ValueError as unknown:
        raise web.HTTPBadRequest(text=str(unknown)) from unknown
    poke(request.app)
    return web.json_response({"ok": True, "ticket": public(moved)})


async def close(request: web.Request) -> web.Response:
    """Hand the conversation back first, then close the ticket with the whole conversation:
    if either step fails the ticket stays open and closing it again finishes the job (both
    steps are repeatable)."""
    ticket = _acted_on(request, open_only=False)
    if ticket.is_open:
        rasa = request.app[RASA]
        try:
            await rasa.hand_back_to_assistant(ticket.sender_id)
            transcript = bounded(conversation_lines(await rasa.events(ticket.sender_id)), TRANSCRIPT_MAX_CHARS)
        except aiohttp.ClientError as failure:
            raise web.HTTPBadGateway(
                text=f"the assistant could not take the conversation back ({failure}); "
                "the ticket is still open, try again"
            ) from failure
        try:
            request.app[STORE].assignment.close(ticket.ticket_id, current_agent(request), transcript)
        except NotAllowed as refused:  # transferred away meanwhile
            raise web.HTTPForbidden(text=str(refused)) from refused
        poke(request.app)
    return web.json_response({"ok": True})


async def canned_for_ticket(request: web.Request) -> web.Response:
    """Every canned reply, filled in for this ticket in its customer's language now."""
    ticket, agent = _ticket(request), current_agent(request)
    language = customer_language(await request.app[RASA].tracker(ticket.sender_id)) if ticket.is_open else None
    language = language or ticket.language or "zh"
    variables = variables_for(ticket, agent, language)
    replies = [
        {"name": reply.name, "text": fill(reply.text(language), variables)}
        for reply in request.app[STORE].canned.listed()
    ]
    return web.json_response({"language": language, "replies": replies}, headers={"Cache-Control": "no-store"})


def _day(text: Optional[str]) -> Optional[date]:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as bad:
        raise web.HTTPBadRequest(text="a date is YYYY-MM-DD") from bad


async def history(request: web.Request) -> web.Response:
    """Ended tickets by ticket or order number, masked phone, day (mall time) and agent."""
    query = request.query
    found = request.app[STORE].history.ended(
        query.get("q", "")[:64], query.get("agent") or None, _day(query.get("date"))
    )
    return web.json_response({"tickets": [public(ticket) for ticket in found]}, headers={"Cache-Control": "no-store"})


async def colleagues(request: web.Request) -> web.Response:
    """Who a ticket can go to: enabled agents, with who is online and how busy."""
    store = request.app[STORE]
    online = {agent.name for agent in store.agents.online()}
    loads = store.assignment.loads()
    listed = [
        {**public_agent(agent), "online": agent.name in online, "open_tickets": loads.get(agent.name, 0)}
        for agent in store.agents.listed()
        if not agent.disabled
    ]
    return web.json_response({"agents": listed}, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    tickets = "/agent/api/tickets/{ticket_id}"
    app.router.add_get("/agent/api/tickets", list_tickets)
    app.router.add_get(tickets, show_ticket)
    app.router.add_get(tickets + "/canned", canned_for_ticket)
    app.router.add_post(tickets + "/claim", claim)
    app.router.add_post(tickets + "/reply", reply)
    app.router.add_post(tickets + "/note", add_note)
    app.router.add_post(tickets + "/transfer", transfer)
    app.router.add_post(tickets + "/close", close)
    app.router.add_get("/agent/api/history", history)
    app.router.add_get("/agent/api/colleagues", colleagues)
