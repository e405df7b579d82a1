"""aiohttp app serving the mall page and the widget bundle, all from this project."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"


@dataclass(frozen=True)
class Settings:
    rasa_port: int = 5005  # where the browser finds the Rasa socket.io channel


def create_app(settings: Settings) -> web.Application:
    app = web.Application()
    app["settings"] = settings
    app.router.add_get("/", page("index.html"))
    app.router.add_get("/config.js", widget_config)
    app.router.add_static("/static/", WEB_ROOT / "static")
    app.router.add_static("/vendor/", WEB_ROOT / "vendor")
    return app


def page(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_ROOT / name, headers={"Cache-Control": "no-cache"})

    return handler


async def widget_config(request: web.Request) -> web.Response:
    """Tells the page where the Rasa server listens (same host as the page)."""
    settings: Settings = request.app["settings"]
    body = f"window.ASSISTANT = {json.dumps({'rasaPort': settings.rasa_port})};\n"
    return web.Response(text=body, content_type="application/javascript",
                        headers={"Cache-Control": "no-cache"})
