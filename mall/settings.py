"""Every setting of the assistant: paths, ports and environment variables, read in one place.

The Rasa server, the action server, the web app, the launcher, the tests and the benchmark
all take their configuration from here; nothing else reads `os.environ` for these names.
The action server's address is the one in endpoints.yml (Rasa reads that file itself);
`actions_port()` reads it from there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"  # runtime state: databases, logs, pid files
LOGS = VAR / "log"
RUN = VAR / "run"
OUT = ROOT / "out"  # generated output: test results, screenshots, evaluation runs
MODELS = ROOT / "models"
MODEL = MODELS / "assistant.tar.gz"
MODEL_NAME = MODEL.name.split(".")[0]
ENDPOINTS = ROOT / "endpoints.yml"
# The chat widget: package, version, sha512 and where its bundle goes (scripts/fetch_webchat.sh).
WEBCHAT = json.loads((ROOT / "web" / "webchat.json").read_text())
WEBCHAT_BUNDLE = ROOT / WEBCHAT["bundle"]
CREDENTIALS = ROOT / "credentials.yml"
DOMAIN = ROOT / "domain.yml"  # the one home of the intents (the console's review offers them)
TRAINING_DATA = ROOT / "data"  # what `rasa train` reads besides the domain (launcher.training)

# Environment variables (fixed names in ../shared/SPEC.md, and the project's own).
ORDERS_DB_ENV = "ORDERS_DB"
CONVERSATIONS_DB_ENV = "CONVERSATIONS_DB"
RASA_TOKEN_ENV = "RASA_TOKEN"
ACTION_TIMEOUT_ENV = "ACTION_TIMEOUT_SECONDS"
RASA_CACHE_ENV = "RASA_CACHE_DIRECTORY"  # Rasa's own: where training keeps its cache
DEFAULT_RASA_CACHE = Path(".rasa", "cache")  # Rasa's default, relative to where `rasa train` runs
DATABASE_URL_ENV = "DATABASE_URL"  # PostgreSQL: conversations, orders, tickets (unset: SQLite files)
REDIS_URL_ENV = "REDIS_URL"  # Redis: conversation locks, the socket.io message queue (unset: in memory)
AGENT_HOURS_ENV = "AGENT_HOURS"  # e.g. "09:00-21:00"; unset: mall.support's hours
# The mall's signing key for customer tokens (mall.identity): the web app signs, the Rasa
# server checks. Nothing else needs it (`make serve` generates one when unset).
MALL_SECRET_ENV = "MALL_SECRET"
# The origins of the mall page, the only ones whose browsers may open the chat socket
# (comma-separated; unset: the page's default origins on PORTS.web).
PAGE_ORIGINS_ENV = "MALL_PAGE_ORIGINS"
# The addresses of the load balancers in front of the servers (comma-separated): only from
# them is X-Forwarded-For believed, for the per-client guessing and sign-in limits. Unset (one
# process, browsers connect directly): nobody's, since any client can send the header.
TRUSTED_PROXIES_ENV = "MALL_TRUSTED_PROXIES"
# Where the examples supervisors label in the console's review go (mall.labelling): a file
# under data/, so `make train` trains on them with the rest. The tests point it elsewhere:
# they never write into the project's data/.
REVIEWED_NLU_ENV = "REVIEWED_NLU_FILE"
DEFAULT_REVIEWED_NLU = TRAINING_DATA / "nlu" / "reviewed.yml"

# Metrics (mall.metrics): prometheus-client's own variable, for servers of several worker
# processes (set by the launcher for the action server; read by prometheus-client itself), and
# the action server's metrics port (it has no route of its own to spare: actions/metrics_server.py).
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
ACTIONS_METRICS_PORT_ENV = "ACTIONS_METRICS_PORT"

# Limits at the door of the Rasa server (rasa_addons.channels). The cost of a message grows
# with its length; no real customer message seen so far was longer than 300 characters
# (data/real/), and docs/RELIABILITY.md has what a message at the limit costs. A longer one
# is answered with utter_message_too_long and goes no further. A request body larger than
# MAX_REQUEST_BYTES (REST, and socket.io's polling and websocket packets) is refused before
# it is read; it leaves room for a message well over the limit, JSON-escaped (\uXXXX is
# six bytes a character), so such a message still gets the clear reply.
MAX_MESSAGE_CHARS = 1000
MAX_REQUEST_BYTES = 128 * 1024

# Connections each process keeps to a database (mall.db): the Rasa server, the action server
# and the web app each use a few at a time; PostgreSQL is started with room for all of them.
DATABASE_POOL_SIZE = 5
DATABASE_POOL_OVERFLOW = 10
DATABASE_CONNECT_TIMEOUT_SECONDS = 5

# A conversation idle this long starts a new session (domain.yml session_config, checked by
# tests/test_responses.py): whatever was proved with a phone tail has to be proved again, and
# the page drops its stored copy of the conversation.
SESSION_IDLE_MINUTES = 30
# A customer token lives this long (the page fetches a fresh one well before); a sign-in on
# the mall page lasts CUSTOMER_LOGIN_SECONDS, then the customer is anonymous again.
CUSTOMER_TOKEN_SECONDS = 10 * 60
CUSTOMER_LOGIN_SECONDS = 60 * 60

# The helpdesk (mall.assignment, webapp.console_live). An agent is online while a console tab
# of theirs is open: the web app records that every AGENT_HEARTBEAT_SECONDS, and an agent not
# heard of for AGENT_PRESENCE_SECONDS (a web app that died) is offline. New tickets go to an
# online agent with fewer than AGENT_MAX_CHATS open tickets (the fewest first), else wait in
# the queue. A ticket whose agent wrote last and whose customer has not answered for
# HANDOFF_IDLE_MINUTES is closed, and the assistant takes the conversation back. A customer
# who asks for a human again within RETURNING_CUSTOMER_DAYS gets a ticket linked to the
# previous one. The queue's estimated wait is the mean first response of the last
# RECENT_FIRST_RESPONSES answered tickets (mall.assignment.QueueStatus).
AGENT_MAX_CHATS_ENV = "AGENT_MAX_CHATS"
HANDOFF_IDLE_MINUTES_ENV = "HANDOFF_IDLE_MINUTES"
DEFAULT_AGENT_MAX_CHATS = 3
DEFAULT_HANDOFF_IDLE_MINUTES = 30.0
AGENT_HEARTBEAT_SECONDS = 10
AGENT_PRESENCE_SECONDS = 30
RETURNING_CUSTOMER_DAYS = 7
RECENT_FIRST_RESPONSES = 20
# The Rasa server reads the plans its replies list ({plans_zh}, ...) from the order store
# at most this often (mall.offered_plans): an FAQ turn costs no database read, and plans
# the mall loads (`python -m mall.plans load`) show in those replies within this time.
PLANS_CACHE_SECONDS = 30.0

DEFAULT_ORDERS_DB = VAR / "orders.db"
DEFAULT_CONVERSATIONS_DB = VAR / "conversations.db"
DEFAULT_ACTION_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the three servers (fixed defaults, SPEC section 5); with `make
    serve-cluster`, Rasa instance i listens on rasa + i - 1 and the load balancer on web
    (SPEC section 7), and the rest on ports of the project's own choosing."""

    rasa: int = 5005
    web: int = 8080
    cluster_postgres: int = 5433  # not 5432/6379: a system PostgreSQL or Redis may be there
    cluster_redis: int = 6380
    cluster_page: int = 8081  # the page and console, behind the load balancer
    cluster_rasa_api: int = 8082  # the load balancer's door to Rasa's HTTP API, for the console only
    actions_metrics: int = 9055  # the action server's metrics for Prometheus (Rasa and the web app: /metrics)


PORTS = Ports()


def _environ(env: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return os.environ if env is None else env


def orders_db(env: Optional[Mapping[str, str]] = None) -> Path:
    return Path(_environ(env).get(ORDERS_DB_ENV) or DEFAULT_ORDERS_DB).resolve()


def conversations_db(env: Optional[Mapping[str, str]] = None) -> Path:
    return Path(_environ(env).get(CONVERSATIONS_DB_ENV) or DEFAULT_CONVERSATIONS_DB).resolve()


def orders_database(env: Optional[Mapping[str, str]] = None) -> Union[str, Path]:
    """Where the order store is: PostgreSQL when DATABASE_URL is set, else the SQLite file."""
    return database_url(env) or orders_db(env)


def conversations_database(env: Optional[Mapping[str, str]] = None) -> Union[str, Path]:
    """Where the conversations are: PostgreSQL when DATABASE_URL is set, else the SQLite file."""
    return database_url(env) or conversations_db(env)


def action_timeout_seconds(env: Optional[Mapping[str, str]] = None) -> float:
    return float(_environ(env).get(ACTION_TIMEOUT_ENV) or DEFAULT_ACTION_TIMEOUT_SECONDS)


def metrics_dir(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    return _environ(env).get(METRICS_DIR_ENV) or None


def actions_metrics_port(env: Optional[Mapping[str, str]] = None) -> int:
    return int(_environ(env).get(ACTIONS_METRICS_PORT_ENV) or PORTS.actions_metrics)


def reviewed_nlu_file(env: Optional[Mapping[str, str]] = None) -> Path:
    return Path(_environ(env).get(REVIEWED_NLU_ENV) or DEFAULT_REVIEWED_NLU).resolve()


def database_url(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    return _environ(env).get(DATABASE_URL_ENV) or None


def rasa_cache_directory(env: Optional[Mapping[str, str]] = None) -> Path:
    return Path(_environ(env).get(RASA_CACHE_ENV) or DEFAULT_RASA_CACHE)


def redis_url(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    return _environ(env).get(REDIS_URL_ENV) or None


def rasa_token(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    return _environ(env).get(RASA_TOKEN_ENV) or None


def agent_max_chats(env: Optional[Mapping[str, str]] = None) -> int:
    return int(_environ(env).get(AGENT_MAX_CHATS_ENV) or DEFAULT_AGENT_MAX_CHATS)


def handoff_idle_minutes(env: Optional[Mapping[str, str]] = None) -> float:
    return float(_environ(env).get(HANDOFF_IDLE_MINUTES_ENV) or DEFAULT_HANDOFF_IDLE_MINUTES)


def mall_secret(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    return _environ(env).get(MALL_SECRET_ENV) or None


def default_page_origins(web_port: int = PORTS.web) -> List[str]:
    return [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]


def page_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    named = _environ(env).get(PAGE_ORIGINS_ENV) or ""
    return [origin.strip() for origin in named.split(",") if origin.strip()] or default_page_origins()


def trusted_proxies(env: Optional[Mapping[str, str]] = None) -> List[str]:
    named = _environ(env).get(TRUSTED_PROXIES_ENV) or ""
    return [address.strip() for address in named.split(",") if address.strip()]


def agent_hours(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Other agents' hours than mall.support's (a test at night, another team's shift)."""
    return _environ(env).get(AGENT_HOURS_ENV) or None


def endpoints(path: Path = ENDPOINTS) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def actions_port(path: Path = ENDPOINTS) -> int:
    """The action server's port, as Rasa will call it (endpoints.yml)."""
    port = urlparse(endpoints(path)["action_endpoint"]["url"]).port
    if port is None:
        raise ValueError(f"{path}: action_endpoint.url names no port")
    return port


def endpoints_for(actions_port_: int, path: Path = ENDPOINTS) -> Dict[str, Any]:
    """endpoints.yml with the action server on another port (tests and benchmarks run on
    free ports; their state is separated by ORDERS_DB and CONVERSATIONS_DB)."""
    config = endpoints(path)
    parsed = urlparse(config["action_endpoint"]["url"])
    config["action_endpoint"]["url"] = parsed._replace(netloc=f"{parsed.hostname}:{actions_port_}").geturl()
    return config
