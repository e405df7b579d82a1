"""The metrics for Prometheus, scraped for real from a running Rasa server, action server and
web app (mall.metrics)."""

from __future__ import annotations

from typing import Dict, Tuple

import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from mall import metrics
from tests.support import Chat

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_rasa_server_counts_messages_latency_fallbacks_handoffs_and_lock_waits(site):
    before = scrape(f"{site.rasa_url}/metrics")
    chat = Chat(site)
    chat.say("分期有手续费吗")
    chat.say("how do I repay")
    chat.say("asdkjh qwe zzz")
    chat.say("转人工")
    after = scrape(f"{site.rasa_url}/metrics")

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("mall_messages_total", channel="rest", language="zh") == 2
    assert grew("mall_messages_total", channel="rest", language="en") == 2
    assert grew("mall_reply_seconds_count", channel="rest") == 4
    assert grew("mall_fallbacks_total", language="zh") == 1  # the session's language
    assert grew("mall_handoffs_total", reason="customer_request") == 1
    assert grew("mall_lock_wait_seconds_count") == 4


def test_the_action_server_and_the_web_app_show_the_open_tickets(site, site_orders):
    Chat(site).say("转人工")
    for url in (site.actions_metrics_url, f"{site.web_url}/metrics"):
        samples = scrape(url)
        assert value(samples, "mall_open_tickets", agent="waiting") >= 1, url


def test_an_action_failing_inside_the_action_server_is_counted(site, site_orders):
    failures = {"action": "action_handoff_to_human", "seen_by": metrics.SEEN_BY_ACTION_SERVER}
    before = value(scrape(site.actions_metrics_url), "mall_action_failures_total", **failures)
    site_orders.db.execute(sa.text("ALTER TABLE handoff_tickets RENAME TO tickets_away"))
    try:
        assert "400-100-5678" in Chat(site).say("转人工")  # the apology, with the hotline
    finally:
        site_orders.db.execute(sa.text("ALTER TABLE tickets_away RENAME TO handoff_tickets"))
    assert value(scrape(site.actions_metrics_url), "mall_action_failures_total", **failures) == before + 1
