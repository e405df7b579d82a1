"""PostgreSQL, Redis and nginx from Debian's packages, run as local processes of this project
with their data under a folder of its own (var/ for make serve-cluster, a temporary folder
for tests): no systemd, no Docker. Each runs in the foreground as a child and is stopped
with the block (or with the launcher, if it dies).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

from launcher.processes import background, free_port

POSTGRES_USER = "postgres"  # PostgreSQL refuses to run as root: its processes run as this user
DATABASE = "assistant"
READY_TIMEOUT_SECONDS = 60
# PostgreSQL's "fast" shutdown. Its SIGTERM waits for every client to leave, and runuser,
# given SIGTERM, kills the postmaster and leaves its backends behind.
POSTGRES_STOP_SIGNAL = signal.SIGINT


class MissingPackage(RuntimeError):
    pass


def _binary(name: str, search: List[str]) -> str:
    for pattern in search:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise MissingPackage(f"{name} is not installed: apt-get install postgresql redis-server nginx (.ci/run does)")


def postgres_binary(name: str) -> str:
    return _binary(name, [f"/usr/lib/postgresql/*/bin/{name}"])


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}; see {log}:\n{log.read_text()[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {READY_TIMEOUT_SECONDS}s; see {log}")


@dataclass(frozen=True)
class Redis:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextmanager
def running_redis(directory: Path, port: Optional[int] = None) -> Iterator[Redis]:
    """A Redis server on loopback that keeps nothing on disk (locks and messages only)."""
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    command = [
        _binary("redis-server", []),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(directory),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    with background(command, log, dict(os.environ), cwd=directory) as process:
        _wait_for_port(port, process, log)
        yield Redis(port, process)


@dataclass(frozen=True)
class Postgres:
    port: int
    socket_dir: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{DATABASE}"


def _as_postgres(command: List[str]) -> List[str]:
    """PostgreSQL will not run as root; run it as the postgres user when we are root."""
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if os.geteuid() == 0 else command


def _owned_by_postgres(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_USER)
        os.chown(path, account.pw_uid, account.pw_gid)


def initialise_postgres(data_dir: Path) -> None:
    """A new cluster with trust authentication on loopback only (a local process of this
    project; a production deployment uses a managed PostgreSQL with its own credentials)."""
    if (data_dir / "PG_VERSION").exists():
        return
    _owned_by_postgres(data_dir.parent)
    _owned_by_postgres(data_dir)
    subprocess.run(
        _as_postgres(
            [
                postgres_binary("initdb"),
                "-D",
                str(data_dir),
                "-U",
                POSTGRES_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )


@contextmanager
def running_postgres(directory: Path, port: Optional[int] = None) -> Iterator[Postgres]:
    """A PostgreSQL server on loopback with the project's database created."""
    port = port or free_port()
    data_dir, socket_dir = directory / "data", directory / "socket"
    initialise_postgres(data_dir)
    _owned_by_postgres(socket_dir)
    log = directory / "postgres.log"
    command = _as_postgres(
        [
            postgres_binary("postgres"),
            "-D",
            str(data_dir),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={socket_dir}",
            "-c",
            "fsync=on",
            "-c",
            "max_connections=200",
        ]
    )
    with background(command, log, dict(os.environ), cwd=directory, stop_signal=POSTGRES_STOP_SIGNAL) as process:
        _wait_for_port(port, process, log)
        server = Postgres(port, socket_dir, process)
        _wait_until_accepting(server, log)
        _create_database(server)
        yield server


def _wait_until_accepting(server: Postgres, log: Path) -> None:
    """A restarted PostgreSQL listens before it accepts connections ("the database system
    is starting up" while it replays its log)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    command = [postgres_binary("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(server.port)]
    while subprocess.run(command).returncode != 0:
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL does not accept connections; see {log}")
        time.sleep(0.1)


def _create_database(server: Postgres) -> None:
    psql = [
        postgres_binary("psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port),
        "-U",
        POSTGRES_USER,
        "-d",
        "postgres",
        "-tAc",
    ]
    exists = subprocess.run(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not exists:
        subprocess.run([*psql, f"CREATE DATABASE {DATABASE}"], check=True, capture_output=True)
