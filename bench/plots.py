"""The benchmark's plots (docs/bench/*.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Results = Dict[str, Any]


def plot_turns(ours: Results, stock: Results, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(7, 3.6))
    for name, results in (("this assistant", ours), ("stock bot", stock)):
        axis.plot(range(1, len(results["turns"]) + 1), [1000 * s for s in results["turns"]], label=name)
    axis.set_xlabel("turn of the conversation")
    axis.set_ylabel("median latency (ms)")
    axis.set_ylim(bottom=0)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_load(ours: Results, stock: Results, path: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name, results in (("this assistant", ours), ("stock bot", stock)):
        users = [level["users"] for level in results["load"]]
        left.plot(users, [level["throughput"] for level in results["load"]], marker="o", label=name)
        right.plot(users, [level["p95_ms"] for level in results["load"]], marker="o", label=name)
    for axis, label in ((left, "messages per second"), (right, "p95 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xticks([1, 4, 16, 64])
        axis.set_xticklabels(["1", "4", "16", "64"])
        axis.set_xlabel("concurrent conversations")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.set_ylim(bottom=0)
    left.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
