"""aiohttp app on port 8080: the mall page with the chat widget, and the agent console."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aiohttp import web

from webapp.agent import AgentSettings, add_agent_console

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"


@dataclass(frozen=True)
class Settings:
    rasa_port: int = 5005  # where the browser finds the Rasa socket.io channel
    agent: Optional[AgentSettings] = None  # None: the console is switched off


SETTINGS = web.AppKey("settings", Settings)


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.router.add_get("/", page("index.html"))
    app.router.add_get("/config.js", widget_config)
    app.router.add_get("/agent", page("agent.html") if settings.agent else console_off)
    app.router.add_static("/static/", WEB_ROOT / "static")
    app.router.add_static("/vendor/", WEB_ROOT / "vendor")
    if settings.agent:
        add_agent_console(app, settings.agent)
    return app


def page(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_ROOT / name, headers={"Cache-Control": "no-cache"})

    return handler


async def console_off(request: web.Request) -> web.Response:
    return web.Response(status=503, text="The agent console needs AGENT_SECRET and RASA_TOKEN.")


async def widget_config(request: web.Request) -> web.Response:
    """Tells the page where the Rasa server listens (same host as the page)."""
    settings = request.app[SETTINGS]
    body = f"window.ASSISTANT = {json.dumps({'rasaPort': settings.rasa_port})};\n"
    return web.Response(text=body, content_type="application/javascript",
                        headers={"Cache-Control": "no-cache"})
