"""Throughput and p95 through the load balancer of `make serve-cluster` (launcher.cluster),
with 1 and 2 Rasa instances, at 16 and 64 concurrent conversations.

    python -m bench.cluster [--quick]   prints the table (make bench puts it in the report)

Everything runs on this machine: the instances share its cores with PostgreSQL, Redis,
nginx, the action server and the load generator itself.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

from bench import load, report
from bench.bots import ASSISTANT
from launcher.cluster import ClusterConfig, running_cluster
from mall import settings

INSTANCES = [1, 2]
USERS = [16, 64]


def measure(model: Path, messages: int) -> List[Dict[str, Any]]:
    """One row per (instances, users): `messages` messages in all at each level."""
    rows = []
    for instances in INSTANCES:
        # Not under a private temporary folder: PostgreSQL runs as the postgres user.
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-cluster-{instances}-"))
        workdir.chmod(0o755)
        config = ClusterConfig.on_free_ports(workdir, instances, "bench-token", "bench-secret", model)
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
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = measure(settings.MODEL, 240 if args.quick else 960)
    print("\n".join(report.cluster_table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
