"""What supervisors manage in the console: canned replies (every agent reads them), agents'
accounts (add, disable, enable, reset a password: shown once), and the audit trail. Every
change is recorded with who made it (mall.audit), in the same transaction as the change."""

from __future__ import annotations

from typing import Any, Dict

from aiohttp import web

from mall.agents import AccountError, AgentRole, new_password
from mall.canned import CANNED_VARIABLES
from webapp.console_auth import STORE, public_agent, require_supervisor
from webapp.console_live import poke
from webapp.security import json_object

NO_STORE = {"Cache-Control": "no-store"}
AUDIT_ROWS = 300


async def list_canned(request: web.Request) -> web.Response:
    replies = [reply.__dict__ for reply in request.app[STORE].canned.listed()]
    return web.json_response({"replies": replies, "variables": list(CANNED_VARIABLES)}, headers=NO_STORE)


async def save_canned(request: web.Request) -> web.Response:
    supervisor = require_supervisor(request)
    body = await json_object(request)
    try:
        saved = request.app[STORE].canned.save(
            str(body.get("name") or ""), str(body.get("text_zh") or ""), str(body.get("text_en") or ""), supervisor.name
        )
    except ValueError as refused:
        raise web.HTTPBadRequest(text=str(refused)) from refused
    return web.json_response({"ok": True, "reply": saved.__dict__})


async def delete_canned(request: web.Request) -> web.Response:
    supervisor = require_supervisor(request)
    if not request.app[STORE].canned.delete(request.match_info["name"], supervisor.name):
        raise web.HTTPNotFound(text="no such canned reply")
    return web.json_response({"ok": True})


async def list_agents(request: web.Request) -> web.Response:
    require_supervisor(request)
    store = request.app[STORE]
    online = {agent.name for agent in store.agents.online()}
    loads = store.assignment.loads()
    listed = [
        {
            **public_agent(agent),
            "disabled": agent.disabled,
            "online": agent.name in online,
            "open_tickets": loads.get(agent.name, 0),
        }
        for agent in store.agents.listed()
    ]
    return web.json_response({"agents": listed}, headers=NO_STORE)


async def add_agent(request: web.Request) -> web.Response:
    """A new account; its password is in this answer only."""
    supervisor = require_supervisor(request)
    body = await json_object(request)
    password = new_password()
    try:
        role = AgentRole(str(body.get("role") or AgentRole.AGENT.value))
        agent = request.app[STORE].agents.add(
            str(body.get("name") or ""),
            str(body.get("display_name") or ""),
            role,
            password,
            supervisor.name,
            str(body.get("display_name_en") or "") or None,
        )
    except (AccountError, ValueError) as refused:
        raise web.HTTPBadRequest(text=str(refused)) from refused
    return web.json_response({"ok": True, "agent": public_agent(agent), "password": password})


async def change_agent(request: web.Request) -> web.Response:
    """disable / enable / reset (a new password, in this answer only). Disabling or resetting
    ends the agent's sessions at once; a disabled agent's open tickets go back to the queue."""
    supervisor = require_supervisor(request)
    store, name, change = request.app[STORE], request.match_info["name"], request.match_info["change"]
    if name == supervisor.name and change == "disable":
        raise web.HTTPBadRequest(text="a supervisor cannot disable themselves")
    body: Dict[str, Any] = {"ok": True}
    if change == "reset":
        body["password"] = new_password()
        done = store.agents.reset_password(name, body["password"], supervisor.name)
    else:
        done = store.assignment.set_disabled(name, change == "disable", supervisor.name)
    if not done:
        raise web.HTTPConflict(text=f"no agent {name}, or {change}d already")
    poke(request.app)
    return web.json_response(body)


async def audit_trail(request: web.Request) -> web.Response:
    require_supervisor(request)
    entries = request.app[STORE].audit.recent(AUDIT_ROWS, request.query.get("actor") or None)
    return web.json_response({"entries": [entry.__dict__ for entry in entries]}, headers=NO_STORE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/agent/api/canned", list_canned)
    app.router.add_post("/agent/api/canned", save_canned)
    app.router.add_delete("/agent/api/canned/{name}", delete_canned)
    app.router.add_get("/agent/api/agents", list_agents)
    app.router.add_post("/agent/api/agents", add_agent)
    app.router.add_post("/agent/api/agents/{name}/{change:disable|enable|reset}", change_agent)
    app.router.add_get("/agent/api/audit", audit_trail)
