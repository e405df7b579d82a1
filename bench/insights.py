"""Issue 22's two measurements: what recording a turn's sessions costs, and how long the figures
take over 1,000,000 sessions, on SQLite and on PostgreSQL.

Recording: the conversation store's save of a turn (ConversationLog.append: the events, the
session row, the metrics), p50 over many turns of many conversations, with the recording as
it is and with mall.sessions.record replaced by nothing; the difference is what recording adds
to a turn (the rest of a turn does not change). On PostgreSQL the commits do not wait for the
disk: that wait is the same either way and, in steps of milliseconds, hid the difference.
Figures: 1,000,000 generated sessions over a year, then mall.figures over all of them, the
median of a few runs.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List

from launcher.backing import running_postgres
from mall import rollup, sessions
from mall.conversations import ConversationLog
from mall.figures import figures
from mall.sessions import Recorded, Session, every_session, mall_day, sessions_table

Results = Dict[str, Any]
DAY_SECONDS = 86_400
NO_DISK_WAIT = "?options=-csynchronous_commit%3Doff"  # libpq's options, for this benchmark's connections


def turn(number: int, at: float) -> List[Dict[str, Any]]:
    """A FAQ turn as Rasa saves it."""
    return [
        {"event": "user", "timestamp": at, "text": f"分期有手续费吗 {number}", "parse_data": {}, "metadata": {}},
        {"event": "user_featurization", "timestamp": at},
        {"event": "action", "timestamp": at, "name": "utter_installment_fees"},
        {"event": "bot", "timestamp": at, "text": "…", "metadata": {"utter_action": "utter_installment_fees"}},
        {"event": "action", "timestamp": at, "name": "action_listen"},
    ]


def _save_timings(log: ConversationLog, prefix: str, conversations: int, turns: int) -> List[float]:
    timings = []
    for number in range(conversations):
        sender, now = f"{prefix}-{number}", time.time()
        start = [
            {"event": "action", "timestamp": now, "name": "action_session_start"},
            {"event": "session_started", "timestamp": now},
            {"event": "action", "timestamp": now, "name": "action_listen"},
        ]
        log.append(sender, 0, start)
        seq = len(start)
        for index in range(turns):
            events = turn(index, now + index)
            started = time.perf_counter()
            log.append(sender, seq, events)
            timings.append(time.perf_counter() - started)
            seq += len(events)
    return timings


@contextmanager
def recording_off() -> Iterator[None]:
    original = sessions.record
    sessions.record = lambda *args, **kwargs: Recorded()  # type: ignore[assignment]
    try:
        yield
    finally:
        sessions.record = original


def recording_cost(location: str, conversations: int, turns: int) -> Results:
    log = ConversationLog(location)
    run = uuid.uuid4().hex[:8]
    try:
        _save_timings(log, f"{run}-warm", 5, 5)
        medians: Dict[str, List[float]] = {"on": [], "off": []}
        for round_ in range(3):  # alternated, so that neither gets the quieter moments
            medians["on"].append(statistics.median(_save_timings(log, f"{run}-on{round_}", conversations, turns)))
            with recording_off():
                medians["off"].append(statistics.median(_save_timings(log, f"{run}-off{round_}", conversations, turns)))
    finally:
        log.close()
    on, off = statistics.median(medians["on"]), statistics.median(medians["off"])
    return {"with_ms": on * 1000, "without_ms": off * 1000, "added_ms": (on - off) * 1000}


def generated_sessions(count: int, seed: int = 22) -> Iterator[Dict[str, Any]]:
    """Over the year before now, all ended."""
    rng = random.Random(seed)
    year_ago = time.time() - 366 * DAY_SECONDS
    for number in range(count):
        started = year_ago + rng.random() * 365 * DAY_SECONDS
        row = Session(f"gen-{number}", 0, started, mall_day(started), started + 300, f"conversation:gen-{number}")
        row.language = "zh" if rng.random() < 0.6 else "en"
        row.messages, row.fallbacks = rng.randint(1, 8), rng.choice((0, 0, 0, 1, 2))
        row.answered, row.task_done = int(rng.random() < 0.7), int(rng.random() < 0.1)
        if rng.random() < 0.1:
            row.ticket_id, row.handoff_reason, row.handed_off_at = f"HT{number}", "customer_request", started + 60
        if rng.random() < 0.25:
            row.change_started, row.change_verified = 1, int(rng.random() < 0.8)
            row.change_confirmed = row.change_reordered = int(row.change_verified and rng.random() < 0.6)
        if rng.random() < 0.3:
            row.rating = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
        row.ticket_within_7_days = int(rng.random() < 0.03)
        yield row.__dict__


def figures_time(location: str, count: int, runs: int = 5) -> Results:
    log = ConversationLog(location)
    try:
        log.db.execute(sessions_table.delete())  # the recording's sessions, on PostgreSQL
        rows = generated_sessions(count)
        started = time.perf_counter()
        while chunk := [row for _, row in zip(range(50_000), rows, strict=False)]:
            with log.db.transaction() as connection:
                connection.execute(sessions_table.insert(), chunk)
        with log.db.transaction() as connection:
            rollup.recount(connection, every_session(connection))
        generated = time.perf_counter() - started
        with log.db.connection() as connection:
            connection.exec_driver_sql("ANALYZE" if log.db.is_sqlite else "VACUUM ANALYZE conversation_sessions")
        timings = []
        for _ in range(runs):
            with log.db.connection() as connection:
                started = time.perf_counter()
                shown = figures(connection, now=time.time()).as_json()
                timings.append(time.perf_counter() - started)
        assert shown["sessions"] == count
    finally:
        log.close()
    return {"sessions": count, "median_s": statistics.median(timings), "generated_s": generated}


def measure(sessions_count: int = 1_000_000, conversations: int = 40, turns: int = 10) -> Results:
    results: Results = {}
    with tempfile.TemporaryDirectory(prefix="bench-insights-") as folder:
        workdir = Path(folder)
        workdir.chmod(0o755)  # PostgreSQL runs as its own user
        results["recording_sqlite"] = recording_cost(str(workdir / "recording.db"), conversations, turns)
        results["figures_sqlite"] = figures_time(str(workdir / "figures.db"), sessions_count)
        with running_postgres(workdir / "postgres") as postgres:
            # The commit's wait for the disk (about 4 ms here, in steps) is the same with and without
            # the recording and hid the difference: measured with commits that do not wait for it.
            results["recording_postgresql"] = recording_cost(postgres.url + NO_DISK_WAIT, conversations, turns)
            results["figures_postgresql"] = figures_time(postgres.url, sessions_count)
    return results
