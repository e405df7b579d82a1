"""Throughput and p95 through the load balancer of `make serve-cluster` (launcher.cluster),
with 1 and 2 Rasa instances:

- saturated: 16 and 64 conversations, each sending its next message the moment the reply
  arrives (the capacity; by Little's law each message then waits about conversations /
  throughput);
- typing: 64 customers who read each reply and type the next message (a pause of ~3 s);
- a Rasa instance killed (SIGKILL) while 16 saturating customers use it (so that messages are
  in flight on it): what they lose.

    python -m bench.cluster [--quick]   prints the table (make bench puts it in the report)

Everything runs on this machine: the instances share its cores with PostgreSQL, Redis,
nginx, the action server and the load generator itself.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict

from bench import load, report
from bench.bots import ASSISTANT
from launcher.cluster import Cluster, ClusterConfig, running_cluster
from launcher.processes import kill
from mall import settings

INSTANCES = [1, 2]
USERS = [16, 64]
TYPING_USERS = 64
# Reading a short reply and typing the next question: quicker than most customers are.
THINK_SECONDS = 3.0
KILL_USERS, KILL_AFTER_SECONDS = 16, 5.0


def typing_row(cluster: Cluster, instances: int, messages_per_user: int) -> Dict[str, Any]:
    outcome = load.typing_users(cluster.url, ASSISTANT.faq_texts, TYPING_USERS, messages_per_user, THINK_SECONDS)
    return {"instances": instances, **outcome.summary()}


def instance_killed(cluster: Cluster, messages_per_user: int) -> Dict[str, Any]:
    """rasa-1 SIGKILLed mid-load; the supervisor starts it again."""

    async def kill_the_first_instance() -> None:
        await asyncio.sleep(KILL_AFTER_SECONDS)
        await asyncio.to_thread(kill, cluster.service("rasa-1").process)

    outcome = load.typing_users(
        cluster.url, ASSISTANT.faq_texts, KILL_USERS, messages_per_user, 0.0, kill_the_first_instance
    )
    return {**outcome.summary(), "kill_after_s": KILL_AFTER_SECONDS}


def measure(model: Path, messages: int) -> Dict[str, Any]:
    """`saturated`: one row per (instances, users), `messages` messages in all at each level;
    `typing`: one row per instances; `killed`: the instance killed under 2 instances."""
    rows, typing_rows, killed = [], [], {}
    for instances in INSTANCES:
        # Not under a private temporary folder: PostgreSQL runs as the postgres user.
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-cluster-{instances}-"))
        workdir.chmod(0o755)
        config = ClusterConfig.on_free_ports(workdir, instances, "bench-token", model)
        try:
            with running_cluster(config) as cluster:
                load.fresh_conversations(cluster.url, ASSISTANT.faq_texts, 20)  # warm every instance up
                for users in USERS:
                    outcome = load.concurrent_users(cluster.url, ASSISTANT.faq_texts, users, max(10, messages // users))
                    rows.append(
                        {
                            "instances": instances,
                            "users": users,
                            "messages": outcome.messages,
                            "throughput": outcome.throughput,
                            **outcome.latencies.summary(),
                        }
                    )
                typing_rows.append(typing_row(cluster, instances, max(6, messages // TYPING_USERS)))
                if instances == 2:  # last: the restarted instance loads its model meanwhile
                    killed = instance_killed(cluster, max(40, messages // KILL_USERS))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return {"saturated": rows, "typing": typing_rows, "killed": killed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = measure(settings.MODEL, 240 if args.quick else 960)
    print("\n".join(report.cluster_tables(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
