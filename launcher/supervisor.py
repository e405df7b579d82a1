"""Keeps a set of servers running: a server that exits is started again, after a pause that
doubles with each quick failure, while the others stay up (a dead action server must not
take the chat down: the Rasa server apologises with the hotline until it is back).
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from launcher.processes import answers, remove_pid, start, stop, write_pid
from mall import settings

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0  # a server that ran this long failed "for the first time" again
POLL_SECONDS = 0.25


@dataclass
class Service:
    name: str  # also the pid file's name: var/run/NAME.pid
    command: List[str]
    log: Path
    env: Dict[str, str]
    health_url: str
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: Optional[float] = None
    restarts: int = field(default=0)

    def launch(self, run_dir: Path) -> None:
        self.process = start(self.command, self.log, self.env)
        self.started_at = time.monotonic()
        self.restart_at = None
        write_pid(self.name, self.process.pid, run_dir)


class Supervisor:
    def __init__(
        self, services: List[Service], say: Callable[[str], None] = print, run_dir: Path = settings.RUN
    ) -> None:
        self.services = services
        self._say = say
        self._run_dir = run_dir  # pid files
        self._stopping = False

    def _request_stop(self, signum: int, frame: object) -> None:
        self._stopping = True

    def stop(self) -> None:
        """Stop supervising and stop the servers (from another thread)."""
        self._stopping = True

    def run(self, on_ready: Callable[[], None], handle_signals: bool = True) -> None:
        """Start everything, call `on_ready` once all answer, and supervise until a signal
        (or `stop()`, for a supervisor run in a thread, where signals cannot be handled)."""
        if handle_signals:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, self._request_stop)
        try:
            for service in self.services:
                service.launch(self._run_dir)
            ready = False
            while not self._stopping:
                self._restart_exited()
                if not ready and all(answers(service.health_url) for service in self.services):
                    ready = True
                    on_ready()
                time.sleep(POLL_SECONDS)
        finally:
            self._say("Stopping...")
            for service in reversed(self.services):
                if service.process:
                    stop(service.process)
                remove_pid(service.name, self._run_dir)

    def _restart_exited(self) -> None:
        now = time.monotonic()
        for service in self.services:
            if service.process is None or service.process.poll() is None:
                continue
            if service.restart_at is None:
                if now - service.started_at >= HEALTHY_AFTER_SECONDS:
                    service.backoff = FIRST_BACKOFF_SECONDS
                service.restart_at = now + service.backoff
                self._say(
                    f"{service.name} exited with status {service.process.returncode}; "
                    f"starting it again in {service.backoff:.0f} s (see {service.log})"
                )
                service.backoff = min(service.backoff * 2, MAX_BACKOFF_SECONDS)
            elif now >= service.restart_at:
                service.restarts += 1
                service.launch(self._run_dir)
