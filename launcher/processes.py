"""Child processes: started in their own process group, stopped (and waited for) on exit,
killed with the launcher if it dies, and watched until they answer."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Sequence

import requests

from mall import settings

STARTUP_TIMEOUT_SECONDS = 240
STOP_TIMEOUT_SECONDS = 20
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _die_with_parent() -> None:
    """In the child: SIGTERM when the launcher dies, however it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start(
    command: Sequence[str], log: Path, env: Dict[str, str], cwd: Path = settings.ROOT, new_session: bool = True
) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as log_file:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen, stop_signal: int = signal.SIGTERM) -> None:
    """`stop_signal` (SIGTERM) to the process group, SIGKILL if it has not ended in time;
    then reaped."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, stop_signal)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def kill(process: subprocess.Popen) -> None:
    """SIGKILL, as a crash would: no cleanup code runs."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def background(
    command: Sequence[str],
    log: Path,
    env: Dict[str, str],
    cwd: Path = settings.ROOT,
    stop_signal: int = signal.SIGTERM,
) -> Iterator[subprocess.Popen]:
    """A child process for the duration of the block."""
    process = start(command, log, env, cwd)
    try:
        yield process
    finally:
        stop(process, stop_signal)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def wait_until_up(
    url: str,
    process: subprocess.Popen,
    log: Path,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    on_wait: Optional[Callable[[float], None]] = None,
) -> None:
    """Until `url` answers; fails early, with the end of the log, if the process exits."""
    started = time.monotonic()
    while not answers(url):
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{url}: the server exited with {process.returncode}; see {log}:\n{tail}")
        waited = time.monotonic() - started
        if waited > timeout:
            raise TimeoutError(f"{url} did not come up within {timeout:.0f}s; see {log}")
        if on_wait:
            on_wait(waited)
        time.sleep(0.25)


def write_pid(name: str, pid: int, run_dir: Path = settings.RUN) -> Path:
    path = run_dir / f"{name}.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n")
    return path


def remove_pid(name: str, run_dir: Path = settings.RUN) -> None:
    (run_dir / f"{name}.pid").unlink(missing_ok=True)
