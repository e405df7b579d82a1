"""Review and learn, for supervisors: /agent/review opens the console on its review tab,
which lists the messages the assistant missed, grouped as `make review` groups them
(mall.review), each with the conversations it was said in, read from Rasa's tracker as the
console reads a ticket's (phones masked); a supervisor labels a message with an intent of the
domain and it becomes a training example (mall.labelling), or undoes that.

Supervisors only: an agent gets 403 from every route here (the page itself is the console's,
whose script shows the tab to supervisors only).
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from mall import settings
from mall.labelling import LabelConflict, LabelRefused, NothingToLabel, customer_intents
from mall.review import review_list
from mall.transcripts import conversation_lines
from webapp.console_auth import STORE, require_supervisor
from webapp.console_live import poke
from webapp.rasa_api import RASA
from webapp.security import json_object

NO_STORE = {"Cache-Control": "no-store"}
MAX_TEXT_CHARS = settings.MAX_MESSAGE_CHARS  # no miss is longer: the door refuses longer messages


async def review_page(request: web.Request) -> web.Response:
    """The console (web/agent.html, served at /agent), opening on its review tab (main.js);
    who may see it is checked by the API, as for the console's other tabs."""
    raise web.HTTPFound("/agent#review")


async def misses(request: web.Request) -> web.Response:
    require_supervisor(request)
    store = request.app[STORE]
    body = {"groups": review_list(store.misses.unlabelled()), "intents": customer_intents()}
    return web.json_response(body, headers=NO_STORE)


async def conversation(request: web.Request) -> web.Response:
    """Only a conversation a miss was said in: the review is no window on every chat."""
    require_supervisor(request)
    sender_id = request.match_info["sender_id"]
    if not request.app[STORE].misses.from_sender(sender_id):
        raise web.HTTPNotFound(text="no missed message in that conversation")
    try:
        events = await request.app[RASA].events(sender_id)
    except aiohttp.ClientError as failure:
        raise web.HTTPBadGateway(text=f"the assistant's conversation could not be read ({failure})") from failure
    return web.json_response({"sender_id": sender_id, "messages": conversation_lines(events)}, headers=NO_STORE)


async def _text(request: web.Request) -> str:
    text = str((await json_object(request)).get("text") or "").strip()
    if not text or len(text) > MAX_TEXT_CHARS:
        raise web.HTTPBadRequest(text=f"the missed message's text, 1 to {MAX_TEXT_CHARS} characters")
    return text


async def label(request: web.Request) -> web.Response:
    supervisor = require_supervisor(request)
    text = await _text(request)
    intent = str((await json_object(request)).get("intent") or "")
    try:
        done = request.app[STORE].labelling.label(text, intent, supervisor.name)
    except LabelRefused as refused:
        raise web.HTTPBadRequest(text=str(refused)) from refused
    except LabelConflict as conflict:
        raise web.HTTPConflict(text=str(conflict)) from conflict
    except NothingToLabel as missing:
        raise web.HTTPNotFound(text=str(missing)) from missing
    poke(request.app)  # the audit trail open in another tab shows it
    return web.json_response({"ok": True, **done.__dict__})


async def unlabel(request: web.Request) -> web.Response:
    supervisor = require_supervisor(request)
    undone = request.app[STORE].labelling.unlabel(await _text(request), supervisor.name)
    if undone is None:
        raise web.HTTPNotFound(text="no labelled message reads so")
    poke(request.app)
    return web.json_response({"ok": True, "was": undone})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/agent/review", review_page)
    app.router.add_get("/agent/api/review", misses)
    app.router.add_get("/agent/api/review/conversations/{sender_id}", conversation)
    app.router.add_post("/agent/api/review/label", label)
    app.router.add_post("/agent/api/review/unlabel", unlabel)
