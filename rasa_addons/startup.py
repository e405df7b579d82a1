"""What a Rasa server of this project does when it starts, in one place.

Registered on the server by the channels' door (rasa_addons.door), so it runs at the start
of every server that serves them (`make serve`, the cluster, `make shell`, the tests), before
Rasa's own start listener loads the model and builds the agent:

- the project's remaining changes to Rasa's code are installed (rasa_addons.patches);
- phone numbers are masked in every log record (mall.privacy);
- a request body over MAX_REQUEST_BYTES is refused before it is read (Sanic's
  REQUEST_MAX_SIZE; the socket.io channel limits its own packets);
- a call of Rasa's HTTP API with a token signed with another algorithm than the server's
  (`alg: none`, HS512) is answered 401 like any bad token: sanic-jwt 1.8 catches PyJWT's
  signature and claim errors but not its InvalidAlgorithmError, which reached Sanic as a 500
  with a traceback in the log (a Sanic exception handler, Sanic's public door for that);
- once the model is loaded, its objects are left out of garbage collection;
- the metrics for Prometheus are served on `/metrics` (rasa_addons.metrics), added when the
  main process starts, before Sanic fixes the app's routes.
"""

from __future__ import annotations

import gc
from http import HTTPStatus
from typing import Any, Callable

import jwt
from rasa.server import ErrorResponse
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from mall import settings
from mall.privacy import install_log_masking
from rasa_addons import metrics, patches


def refuse_bad_token(request: Request, exception: Exception) -> HTTPResponse:
    """What Rasa answers any other token it cannot accept (rasa.server.requires_auth)."""
    refusal = ErrorResponse(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "User is not authenticated.")
    return json(refusal.error_info, status=HTTPStatus.UNAUTHORIZED)


def before_start(app: Sanic) -> None:
    patches.install()
    install_log_masking()
    # Sanic reads this for every new connection (sanic/server/protocols).
    app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, settings.MAX_REQUEST_BYTES)
    app.error_handler.add(jwt.InvalidTokenError, refuse_bad_token)


def after_start(app: Sanic) -> None:
    # The loaded model is about 490,000 objects that live as long as the server. A full
    # garbage collection walked them all, 0.4-0.5 s with every customer waiting, and long
    # messages (many short-lived objects) brought those on more often. Frozen objects are
    # left out of collections; only what is created later is scanned.
    gc.freeze()


def register(blueprint: Blueprint, on_start: Callable[[Sanic], None]) -> None:
    """`on_start(app)` runs after the project's own start work."""

    @blueprint.listener("main_process_start")
    async def serve_metrics(app: Sanic, _: Any) -> None:
        metrics.add_route(app)

    @blueprint.listener("before_server_start")
    async def start(app: Sanic, _: Any) -> None:
        before_start(app)
        on_start(app)

    @blueprint.listener("after_server_start")
    async def started(app: Sanic, _: Any) -> None:
        after_start(app)
