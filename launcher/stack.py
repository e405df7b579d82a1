"""The assistant's three servers (action server, Rasa server, web page) as commands, and as
context managers that run them on free loopback ports with their own state.

`make shell` and `make serve` (launcher.__main__), the tests and the benchmark all start
the servers through here.
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import requests
import yaml

from launcher.processes import background, free_port, kill, wait_until_up
from launcher.supervisor import Service
from mall import demo, settings
from mall.agents import Agent
from mall.db import Location
from mall.store import OrderStore

RASA = Path(sys.executable).with_name("rasa")
PYTHON = sys.executable
SHELL_CHANNEL = "rasa_addons.rest_channel.ShellChannel"  # the terminal, through the door


def server_env(orders_db: Path, conversations_db: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            settings.ORDERS_DB_ENV: str(orders_db),
            settings.CONVERSATIONS_DB_ENV: str(conversations_db),
            "PYTHONPATH": str(settings.ROOT),
            "SANIC_HOST": "127.0.0.1",  # `rasa run actions` has no --interface flag
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
    )
    env.update(extra or {})
    return env


def actions_command(port: int) -> List[str]:
    return [str(RASA), "run", "actions", "--actions", "actions", "--port", str(port)]


def shell_command() -> List[str]:
    """A Rasa server whose one channel is the terminal (rasa_addons.rest_channel.ShellChannel):
    `rasa shell` would talk to Rasa's own REST channel, without the door."""
    return [
        str(RASA),
        "run",
        "--quiet",
        "--model",
        str(settings.MODEL),
        "--endpoints",
        str(settings.ENDPOINTS),
        "--connector",
        SHELL_CHANNEL,
    ]


def rasa_command(
    port: int, endpoints: Path = settings.ENDPOINTS, model: Path = settings.MODEL, extra_args: Sequence[str] = ()
) -> List[str]:
    return [
        str(RASA),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(settings.CREDENTIALS),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        *extra_args,
    ]


def web_command(port: int, rasa_port: int) -> List[str]:
    return [PYTHON, "-m", "webapp", "--port", str(port), "--rasa-port", str(rasa_port)]


def write_endpoints(workdir: Path, actions_port: int) -> Path:
    """endpoints.yml, with the action server on `actions_port`."""
    path = workdir / "endpoints.yml"
    path.write_text(yaml.safe_dump(settings.endpoints_for(actions_port), sort_keys=False))
    return path


@dataclass(frozen=True)
class AgentAccess:
    """The key of Rasa's HTTP API, which the agent console calls (agents sign in with their
    own accounts, mall.agents)."""

    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def env(self) -> Dict[str, str]:
        return {settings.RASA_TOKEN_ENV: self.rasa_token}


def prepare_demo(location: Location) -> None:
    """A new orders database gets the demo orders and plans before any server reads it (the
    page lists the orders, the Rasa server's replies list the plans)."""
    store = OrderStore(location)
    try:
        demo.init(store)
    finally:
        store.close()


def prepare_store(location: Location) -> List[Tuple[Agent, str]]:
    """What `make serve` starts from: the demo data (prepare_demo), and, with no agents yet,
    the first agents' accounts: returned with their passwords, to be shown once."""
    prepare_demo(location)
    store = OrderStore(location)
    try:
        return store.agents.create_first_accounts()
    finally:
        store.close()


def first_accounts_lines(accounts: Sequence[Tuple[Agent, str]]) -> List[str]:
    """What `make serve` prints of the accounts it created (the only time a password shows)."""
    if not accounts:
        return []
    return [
        "  New agent accounts (passwords shown this once; `python -m mall.agents reset NAME` makes new ones):",
        *(f"    {agent.name:<8} {agent.role.value:<11} password: {password}" for agent, password in accounts),
    ]


def rasa_api_args(rasa_token: str) -> List[str]:
    """Rasa's HTTP API, for the agent console: on, with JWTs in the Authorization header
    signed with `rasa_token` (Rasa reads `--auth-token` only from the URL's query).
    `--jwt-secret=…`: a key that starts with "-" (token_urlsafe can) is not an option."""
    return ["--enable-api", f"--jwt-secret={rasa_token}", "--jwt-method", "HS256"]


def actions_service(port: int, logs: Path, env: Dict[str, str]) -> Service:
    """The action server, supervised (restarted when it exits) by `make serve` and the cluster."""
    return Service("actions", actions_command(port), logs / "actions.log", env, f"http://127.0.0.1:{port}/health")


def rasa_server_settings(
    env: Dict[str, str], origins: Sequence[str], mall_secret: str, rasa_token: str
) -> Tuple[Dict[str, str], List[str]]:
    """A Rasa server's environment and options: CORS and the chat socket for the page's
    origins only, the HTTP API for the console."""
    return {**env, **page_env(origins, mall_secret)}, ["--cors", *origins, *rasa_api_args(rasa_token)]


def page_env(origins: Sequence[str], mall_secret: str) -> Dict[str, str]:
    """What the Rasa server needs to know of the mall page: its origins (the only ones that
    may open the chat socket) and the key that signs customer tokens."""
    return {settings.PAGE_ORIGINS_ENV: ",".join(origins), settings.MALL_SECRET_ENV: mall_secret}


@dataclass
class Assistant:
    rasa_url: str
    actions_url: str
    orders_db: Path
    workdir: Path
    web_url: Optional[str] = None
    agent: Optional[AgentAccess] = None
    mall_secret: Optional[str] = None  # with the page: the key of customer tokens
    actions_metrics_url: Optional[str] = None  # the action server's metrics for Prometheus

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One customer message through the REST channel; the bot's replies."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()


@dataclass
class ActionServer:
    url: str
    process: Any
    metrics_url: str  # its metrics for Prometheus, on a port of their own (actions/metrics_server.py)

    def kill(self) -> None:
        kill(self.process)


def _conversations(workdir: Path) -> Path:
    return workdir / "conversations.db"


@contextmanager
def running_actions(
    workdir: Path,
    orders_db: Path,
    port: Optional[int] = None,
    extra_env: Optional[Dict[str, str]] = None,
    command: Callable[[int], List[str]] = actions_command,
) -> Iterator[ActionServer]:
    """`command`: the action server's command line for a port (`rasa run actions`)."""
    port, metrics_port = port or free_port(), free_port()
    log = workdir / "actions.log"
    env = server_env(
        orders_db, _conversations(workdir), {settings.ACTIONS_METRICS_PORT_ENV: str(metrics_port), **(extra_env or {})}
    )
    with background(command(port), log, env) as process:
        server = ActionServer(f"http://127.0.0.1:{port}", process, f"http://127.0.0.1:{metrics_port}/metrics")
        wait_until_up(f"{server.url}/health", process, log)
        yield server


@contextmanager
def running_rasa(
    workdir: Path,
    actions_port: int,
    orders_db: Path,
    model: Path = settings.MODEL,
    port: Optional[int] = None,
    extra_args: Sequence[str] = (),
    extra_env: Optional[Dict[str, str]] = None,
) -> Iterator[str]:
    port = port or free_port()
    log = workdir / "rasa.log"
    command = rasa_command(port, write_endpoints(workdir, actions_port), model, extra_args)
    with background(command, log, server_env(orders_db, _conversations(workdir), extra_env)) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        yield url


@contextmanager
def running_web(
    workdir: Path,
    rasa_port: int,
    orders_db: Path,
    port: Optional[int] = None,
    agent: Optional[AgentAccess] = None,
    mall_secret: Optional[str] = None,
) -> Iterator[str]:
    """The mall page (webapp) on loopback, with the agent console when `agent` is given and
    the demo sign-in when `mall_secret` is."""
    port = port or free_port()
    log = workdir / "web.log"
    extra = {**(agent.env() if agent else {}), **({settings.MALL_SECRET_ENV: mall_secret} if mall_secret else {})}
    env = server_env(orders_db, _conversations(workdir), extra)
    with background(web_command(port, rasa_port), log, env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        yield url


@contextmanager
def running_assistant(
    workdir: Path, orders_db: Optional[Path] = None, with_web: bool = False, agent: Optional[AgentAccess] = None
) -> Iterator[Assistant]:
    """Action server + Rasa server with the trained model (+ the mall page with the demo
    sign-in, + the agent console), torn down on exit. With the page, Rasa's CORS and its
    socket.io admit exactly the page's origin, and both share a new MALL_SECRET; with the
    console, Rasa's HTTP API is on and needs its key."""
    workdir.mkdir(parents=True, exist_ok=True)
    orders_db = orders_db or workdir / "orders.db"
    prepare_demo(orders_db)  # the tests make the agents they need
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    origin = f"http://127.0.0.1:{web_port}"
    rasa_args = ["--cors", origin] if with_web else []
    mall_secret = secrets.token_urlsafe(32) if with_web else None
    rasa_env = page_env([origin], mall_secret) if mall_secret else None
    if agent:
        rasa_args += rasa_api_args(agent.rasa_token)
    with ExitStack() as stack:
        actions = stack.enter_context(running_actions(workdir, orders_db, actions_port))
        rasa_url = stack.enter_context(
            running_rasa(workdir, actions_port, orders_db, port=rasa_port, extra_args=rasa_args, extra_env=rasa_env)
        )
        web_url = None
        if with_web:
            web_url = stack.enter_context(running_web(workdir, rasa_port, orders_db, web_port, agent, mall_secret))
        yield Assistant(rasa_url, actions.url, orders_db, workdir, web_url, agent, mall_secret, actions.metrics_url)
