"""Metrics for Prometheus (prometheus-client), the same names on every server that has them.

Each server exposes what it sees; Prometheus adds the instances up:

- Rasa servers (`/metrics` on their own port, rasa_addons.metrics): customer messages by
  channel and language and the reply latency (the door), action failures seen from the Rasa
  side (the action server down or too slow), messages not understood and handoffs by reason
  (counted when their turn is stored, mall.conversations), and the wait for a conversation's
  lock (rasa_addons.lock_store);
- the action server (a port of its own, actions/metrics_server.py): actions that failed
  inside it, and the open tickets;
- the web app (`/metrics`, webapp/metrics.py): the open tickets.

A server of several worker processes (the cluster's action server) shares its counts through
the files in PROMETHEUS_MULTIPROC_DIR (mall.settings.METRICS_DIR_ENV, set by the launcher),
which prometheus-client reads when it is imported.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Tuple

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from mall import settings
from mall.language import message_language
from mall.sessions import Recorded
from mall.store import OrderStore
from mall.tickets import TicketStatus

MESSAGES = Counter("mall_messages", "Customer messages received", ["channel", "language"])
REPLY_SECONDS = Histogram(
    "mall_reply_seconds",
    "From a customer's message to the assistant's replies, sent",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ACTION_FAILURES = Counter(
    "mall_action_failures", "Custom actions that failed: the customer got the apology", ["action", "seen_by"]
)
FALLBACKS = Counter("mall_fallbacks", "Customer messages the assistant did not understand", ["language"])
HANDOFFS = Counter("mall_handoffs", "Handoff tickets opened, by reason", ["reason"])
LOCK_WAIT_SECONDS = Histogram(
    "mall_lock_wait_seconds",
    "How long a message waited for its conversation's lock",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SEEN_BY_RASA = "rasa"  # the action server could not be reached, or answered too late
SEEN_BY_ACTION_SERVER = "action_server"  # the action raised an error inside it


def language_label(text: Optional[str]) -> str:
    """zh, en, or none (digits, emoji, a button's payload)."""
    return message_language(text) or "none"


class OpenTickets(Collector):
    """mall_open_tickets at scrape time, from the order store: waiting for an agent, or with one."""

    def __init__(self, count_open: Callable[[], Tuple[int, int]]) -> None:
        self._count_open = count_open  # () -> (waiting for an agent, with an agent)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting, answered = self._count_open()
        gauge = GaugeMetricFamily("mall_open_tickets", "Open handoff tickets", labels=["agent"])
        gauge.add_metric(["waiting"], waiting)
        gauge.add_metric(["replied"], answered)
        yield gauge


def count(recorded: Recorded) -> None:
    """A stored turn's messages not understood and tickets opened (mall.conversations)."""
    for language in recorded.fallbacks:
        FALLBACKS.labels(language).inc()
    for reason in recorded.handoffs:
        HANDOFFS.labels(reason).inc()


def open_tickets(store: OrderStore) -> OpenTickets:
    def count() -> Tuple[int, int]:
        tickets = store.tickets.listed(TicketStatus.OPEN)
        replied = sum(1 for ticket in tickets if ticket.agent_joined_at)
        return len(tickets) - replied, replied

    return OpenTickets(count)


def exposition(*extra: Collector) -> Tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type: this process's metrics, or
    all its workers' (multiprocess mode), then `extra` collectors read now."""
    if settings.metrics_dir():
        own = CollectorRegistry()
        MultiProcessCollector(own)
    else:
        own = REGISTRY
    now = CollectorRegistry()
    for collector in extra:
        now.register(collector)
    return generate_latest(own) + generate_latest(now), CONTENT_TYPE_LATEST
