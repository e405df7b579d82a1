"""The action server's metrics for Prometheus, on a port of its own (mall.settings:
ACTIONS_METRICS_PORT, default PORTS.actions_metrics).

`rasa run actions` (rasa-sdk's Sanic app) offers no way to add a route, but it imports every
module of this package before it starts serving, in its main process: this module starts a
small HTTP server there, in a thread. With several workers (ACTION_SERVER_SANIC_WORKERS) that
process forks them and stays as their parent, and the endpoint shows all the workers' counts
through the files in PROMETHEUS_MULTIPROC_DIR, which the launcher sets (mall.metrics).
Importing it anywhere else (the tests) serves nothing until `serve()` is called.
"""

from __future__ import annotations

import logging
import sys
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

from actions.services import order_store
from mall import metrics, settings

logger = logging.getLogger(__name__)


class _Scrapes(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body, content_type = metrics.exposition(metrics.open_tickets(order_store()))
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # scrapes every few seconds: not logged
        return


@cache
def serve(port: int) -> ThreadingHTTPServer:
    """Metrics on 127.0.0.1:`port`, from a daemon thread; once per process."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Scrapes)
    Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("Metrics for Prometheus on http://127.0.0.1:%d/metrics", port)
    return server


def _in_the_action_server() -> bool:
    """Imported by `rasa run actions` (rasa-sdk registering this package)?"""
    return Path(sys.argv[0]).name == "rasa" and sys.argv[1:3] == ["run", "actions"]


if _in_the_action_server():
    try:
        serve(settings.actions_metrics_port())
    except OSError as error:  # the port is taken: the actions still run, without metrics
        logger.error("No metrics for Prometheus: port %d: %s", settings.actions_metrics_port(), error)
