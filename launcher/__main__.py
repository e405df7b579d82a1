"""python -m launcher train|shell|serve|serve-cluster [INSTANCES]

train   train the model if its inputs changed (launcher.training)
shell   the action server in the background and `rasa shell` in this terminal
serve   the action server, the Rasa server (REST, socketio, token-protected HTTP API) and
        the mall page with the agent console on 8080, kept running until Ctrl-C
serve-cluster   PostgreSQL, Redis, INSTANCES Rasa instances (default 2) on 5005, 5006, ...,
        the action server and nginx on 8080 in front of them all (launcher.cluster)

Ports, paths and environment variables come from mall.settings; logs go to var/log/,
pid files to var/run/.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from launcher import stack
from launcher.processes import port_in_use, start, stop, wait_until_up
from launcher.supervisor import Service, Supervisor
from launcher.training import train_if_needed
from mall import settings
from mall.agents import Agent


def _require_free(ports: List[int]) -> None:
    for port in ports:
        if port_in_use(port):
            sys.exit(f"Port {port} is already in use (is `make serve` or `make shell` running elsewhere?).")


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    return stack.server_env(settings.orders_db(), settings.conversations_db(), extra)


def shell() -> int:
    actions_port = settings.actions_port()
    _require_free([settings.PORTS.rasa, actions_port])
    stack.prepare_store(settings.orders_database())
    log = settings.LOGS / "actions.log"
    actions = start(stack.actions_command(actions_port), log, _env())
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", actions, log)
        print("Loading the model. Server logs go to var/log/.")
        print("When the bot shows buttons, pick one with the arrow keys and Enter, or choose")
        print('"Type out your own message...". Type /stop to leave.')
        # rasa shell gets Ctrl-C from the terminal itself; this process waits for it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: sys.exit(143))
        with open(settings.LOGS / "shell.log", "ab") as shell_log:
            status = subprocess.call(
                stack.shell_command(),
                cwd=settings.ROOT,
                env=_env(),
                stderr=shell_log,
            )
        if status != 0:
            print(f"rasa shell stopped with status {status}; see var/log/shell.log", file=sys.stderr)
        return status
    finally:
        stop(actions)


@dataclass(frozen=True)
class ServeConfig:
    """What `make serve` runs, and where; the supervisor test runs the same on free ports."""

    actions_port: int
    rasa_port: int
    web_port: int
    rasa_token: str
    orders_db: Path
    conversations_db: Path
    endpoints: Path = settings.ENDPOINTS  # names the action server's port
    mall_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # never printed: nobody types it
    logs: Path = settings.LOGS
    extra_env: Dict[str, str] = field(default_factory=dict)


def serve_services(config: ServeConfig) -> List[Service]:
    """The three servers of `make serve`: action server, Rasa server, page and console.
    MALL_SECRET goes to the page and the Rasa server only, the key of Rasa's HTTP API to the
    page (the console) and Rasa only."""
    env = stack.server_env(config.orders_db, config.conversations_db, config.extra_env)
    secrets_env = {settings.RASA_TOKEN_ENV: config.rasa_token, settings.MALL_SECRET_ENV: config.mall_secret}
    origins = settings.default_page_origins(config.web_port)
    rasa_env, rasa_args = stack.rasa_server_settings(env, origins, config.mall_secret, config.rasa_token)
    return [
        stack.actions_service(config.actions_port, config.logs, env),
        # CORS admits the page's origins only (the socket.io handshake needs it); Rasa's
        # HTTP API (for the agent console) is never on without the token.
        Service(
            "rasa-1",
            stack.rasa_command(config.rasa_port, endpoints=config.endpoints, extra_args=rasa_args),
            config.logs / "rasa.log",
            rasa_env,
            f"http://127.0.0.1:{config.rasa_port}/",
        ),
        Service(
            "web",
            stack.web_command(config.web_port, config.rasa_port),
            config.logs / "web.log",
            {**env, **secrets_env},
            f"http://127.0.0.1:{config.web_port}/",
        ),
    ]


def serve() -> int:
    actions_port, rasa_port, web_port = settings.actions_port(), settings.PORTS.rasa, settings.PORTS.web
    _require_free([rasa_port, actions_port, web_port])
    accounts = stack.prepare_store(settings.orders_database())
    config = ServeConfig(
        actions_port=actions_port,
        rasa_port=rasa_port,
        web_port=web_port,
        rasa_token=settings.rasa_token() or secrets.token_urlsafe(32),
        orders_db=settings.orders_db(),
        conversations_db=settings.conversations_db(),
    )
    mall_secret = settings.mall_secret()
    if mall_secret:
        config = replace(config, mall_secret=mall_secret)

    def ready() -> None:
        print(f"Ready: open http://localhost:{web_port} (Ctrl-C stops everything).")
        print(f"Agent console: http://localhost:{web_port}/agent")
        print("\n".join(stack.first_accounts_lines(accounts)))

    print("Starting the servers (the model takes a few seconds to load). Logs: var/log/")
    Supervisor(serve_services(config)).run(ready)
    return 0


def serve_cluster(instances: int) -> int:
    from launcher.cluster import ClusterConfig
    from launcher.cluster import serve_cluster as run

    config = ClusterConfig.default(instances, settings.rasa_token() or secrets.token_urlsafe(32))
    mall_secret = settings.mall_secret()
    if mall_secret:
        config = replace(config, mall_secret=mall_secret)
    ports = [*config.rasa_ports, config.actions_port, config.lb_port, config.web_port, config.api_port]
    _require_free([*ports, config.postgres_port, config.redis_port])

    def ready(accounts: List[Tuple[Agent, str]]) -> None:
        print(f"Ready: {instances} Rasa instances behind http://localhost:{config.lb_port} (Ctrl-C stops everything).")
        print(f"Agent console: http://localhost:{config.lb_port}/agent")
        print("\n".join(stack.first_accounts_lines(accounts)))

    print("Starting PostgreSQL, Redis and the servers. Logs: var/log/, pid files: var/run/")
    run(config, ready)
    return 0


def main(argv: List[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "train":
        train_if_needed(stack.RASA)
        return 0
    if command == "shell":
        return shell()
    if command == "serve":
        return serve()
    if command == "serve-cluster":
        return serve_cluster(int(argv[2]) if len(argv) > 2 else 2)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
