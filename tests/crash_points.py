"""python -m tests.crash_points STAGE MARKER [action server arguments]

The action server, made to stop in the middle of cancel-and-reorder: at STAGE it touches
MARKER and sleeps until the crash test kills it. The stages are recognised from the SQL the
order store sends (SQLAlchemy's engine and pool events), so the product code carries no
hook for this test.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

STAGES = ("new_order_inserted", "old_order_cancelled", "before_commit", "after_commit")
AUDITS_PER_REORDER = 2  # the cancelled order and its replacement


def stop_at(stage: str, marker: Path) -> None:
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}: one of {', '.join(STAGES)}")
    seen: Dict[str, Any] = {"audits": 0, "committed": False}

    def halt(reached: str) -> None:
        if reached == stage:
            marker.touch()
            time.sleep(120)  # the test kills the process long before this ends

    @sa.event.listens_for(Engine, "after_cursor_execute")
    def after_statement(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        sql = " ".join(statement.split()).upper()
        if sql.startswith("INSERT INTO ORDERS "):
            halt("new_order_inserted")
        elif sql.startswith("UPDATE ORDERS ") and "REPLACED_BY" in sql:
            halt("old_order_cancelled")
        elif sql.startswith("INSERT INTO ORDER_AUDIT "):
            seen["audits"] += 1

    @sa.event.listens_for(Engine, "commit")
    def before_commit(connection: Any) -> None:
        if seen["audits"] == AUDITS_PER_REORDER and not seen["committed"]:
            seen["committed"] = True
            halt("before_commit")

    @sa.event.listens_for(Pool, "checkin")
    def after_commit(*_: Any) -> None:
        if seen["committed"]:
            halt("after_commit")


def command(stage: str, marker: Path, port: int) -> List[str]:
    """The action server's command line, stopping at `stage` (launcher.stack.running_actions)."""
    return [sys.executable, "-m", __name__, stage, str(marker), "--actions", "actions", "--port", str(port)]


def main(argv: List[str]) -> None:
    stage, marker, *server_arguments = argv
    stop_at(stage, Path(marker))
    from rasa_sdk.__main__ import main as action_server

    sys.argv = ["rasa_sdk", *server_arguments]
    action_server()


if __name__ == "__main__":
    main(sys.argv[1:])
