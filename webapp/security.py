"""What every page and endpoint of port 8080 shares against other sites and bad bodies.

- Security headers on every response: a Content-Security-Policy with no inline script and
  no framing (the mall page may talk to the Rasa server's socket.io, nothing else), and
  X-Frame-Options, nosniff and no referrer for older browsers.
- A state-changing request must come from the page itself: an Origin, when the browser
  names one (every browser does on a POST), equal to this server's own; and a JSON body,
  which no HTML form and no `no-cors` fetch can send. SameSite cookies do not cover this:
  a page on another port of the same host is the same site.
- JSON bodies are read in one place: anything but a JSON object is a 400, never a 500.
"""

from __future__ import annotations

from typing import Any, Dict
from urllib.parse import urlsplit

from aiohttp import web

RASA_PORT = web.AppKey("rasa_port_for_csp", int)


def content_security_policy(request: web.Request) -> str:
    # request.url fails on a Host with a port (yarl 1.9): the host name from the header
    host = urlsplit(f"//{request.host}").hostname or "localhost"
    rasa = request.app.get(RASA_PORT)
    socket = f" http://{host}:{rasa} ws://{host}:{rasa}" if rasa else ""
    return (
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        # rasa-webchat injects its stylesheet at run time
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self'{socket}; frame-ancestors 'none'"
    )


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = content_security_policy(request)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"


def install(app: web.Application, rasa_port: int) -> None:
    app[RASA_PORT] = rasa_port
    # aiohttp 3.9 types this signal's callbacks wrongly (aiosignal's Signal[T] takes T's callers)
    app.on_response_prepare.append(add_security_headers)  # type: ignore[arg-type]


def own_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def require_same_origin(request: web.Request) -> None:
    """Refuse a request another site's page made (a browser names the page's origin)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != own_origin(request):
        raise web.HTTPForbidden(text="requests from other sites are not accepted")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise web.HTTPForbidden(text="requests from other sites are not accepted")


async def json_object(request: web.Request) -> Dict[str, Any]:
    """The body as a JSON object; anything else is a 400 (a 415 without the JSON type)."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        body = await request.json()
    except ValueError as bad:
        raise web.HTTPBadRequest(text="the body is not valid JSON") from bad
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


async def state_change(request: web.Request) -> Dict[str, Any]:
    """The checks of a request that changes something, and its JSON body."""
    require_same_origin(request)
    return await json_object(request)
