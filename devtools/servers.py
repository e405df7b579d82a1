"""Start the action server and the Rasa server (REST channel) on free loopback ports.

Used by the conversation tests and the benchmark: every run gets its own orders
database and conversation store, so runs never share state.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
RASA = Path(sys.executable).with_name("rasa")
STARTUP_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout}s; see {log}")


@contextmanager
def background(command: Sequence[str], log: Path, env: Dict[str, str],
               cwd: Path = ROOT) -> Iterator[subprocess.Popen]:
    """A child process in its own process group, stopped (and waited for) on exit."""
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def base_env(orders_db: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        ORDERS_DB=str(orders_db),
        PYTHONPATH=str(ROOT),
        SANIC_HOST="127.0.0.1",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONWARNINGS="ignore",
    )
    return env


@dataclass(frozen=True)
class AgentAccess:
    """The agent console's sign-in secret and the token of Rasa's HTTP API."""

    secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


@dataclass
class Assistant:
    rasa_url: str
    actions_url: str
    orders_db: Path
    workdir: Path
    web_url: Optional[str] = None
    agent: Optional[AgentAccess] = None

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One customer message through the REST channel; the bot's replies."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()


def write_endpoints(workdir: Path, actions_port: int) -> Path:
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"""action_endpoint:
  url: "http://127.0.0.1:{actions_port}/webhook"
  enable_selective_domain: true
nlg:
  type: rasa_addons.nlg.BilingualNLG
tracker_store:
  type: rasa_addons.tracker_store.WindowedSQLiteTrackerStore
  db: {workdir / "conversations.db"}
"""
    )
    return endpoints


@dataclass
class ActionServer:
    url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup code runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def running_actions(workdir: Path, orders_db: Path, port: Optional[int] = None,
                    extra_env: Optional[Dict[str, str]] = None) -> Iterator[ActionServer]:
    port = port or free_port()
    log = workdir / "actions.log"
    command = [str(RASA), "run", "actions", "--actions", "actions", "--port", str(port)]
    with background(command, log, {**base_env(orders_db), **(extra_env or {})}) as process:
        server = ActionServer(f"http://127.0.0.1:{port}", process)
        wait_until_up(f"{server.url}/health", process, log)
        yield server


@contextmanager
def running_rasa(workdir: Path, actions_port: int, orders_db: Path, model: Path = MODEL,
                 port: Optional[int] = None, extra_args: Sequence[str] = (),
                 extra_env: Optional[Dict[str, str]] = None) -> Iterator[str]:
    port = port or free_port()
    log = workdir / "rasa.log"
    command = [
        str(RASA), "run", "--model", str(model), "--endpoints", str(write_endpoints(workdir, actions_port)),
        "--credentials", str(ROOT / "credentials.yml"), "--port", str(port), "--interface", "127.0.0.1",
        *extra_args,
    ]
    with background(command, log, {**base_env(orders_db), **(extra_env or {})}) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        yield url


@contextmanager
def running_web(workdir: Path, rasa_port: int, orders_db: Path, port: Optional[int] = None,
                agent: Optional[AgentAccess] = None) -> Iterator[str]:
    """The mall page (webapp) on loopback, with the agent console when `agent` is given."""
    port = port or free_port()
    log = workdir / "web.log"
    command = [sys.executable, "-m", "webapp", "--port", str(port), "--rasa-port", str(rasa_port)]
    env = base_env(orders_db)
    if agent:
        env.update(AGENT_SECRET=agent.secret, RASA_TOKEN=agent.rasa_token)
    with background(command, log, env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log)
        yield url


@contextmanager
def running_assistant(workdir: Path, orders_db: Optional[Path] = None, with_web: bool = False,
                      agent: Optional[AgentAccess] = None) -> Iterator[Assistant]:
    """Action server + Rasa server with the trained model (+ the mall page, + the agent
    console), torn down on exit. With the page, Rasa's CORS admits exactly the page's
    origin; with the console, Rasa's HTTP API is on and needs the token."""
    workdir.mkdir(parents=True, exist_ok=True)
    orders_db = orders_db or workdir / "orders.db"
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    rasa_args = ["--cors", f"http://127.0.0.1:{web_port}"] if with_web else []
    if agent:
        rasa_args += ["--enable-api", "--auth-token", agent.rasa_token]
    with ExitStack() as stack:
        actions_url = stack.enter_context(running_actions(workdir, orders_db, actions_port)).url
        rasa_url = stack.enter_context(running_rasa(workdir, actions_port, orders_db, port=rasa_port,
                                                    extra_args=rasa_args))
        web_url = None
        if with_web:
            web_url = stack.enter_context(running_web(workdir, rasa_port, orders_db, web_port, agent))
        yield Assistant(rasa_url, actions_url, orders_db, workdir, web_url, agent)
