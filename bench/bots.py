"""The two bots under test: this assistant and Rasa's stock bot (what `rasa init` creates),
trained and served the same way: `rasa train`, `rasa run` with the REST channel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional

import requests

from launcher.processes import background, free_port, wait_until_up
from launcher.stack import RASA, running_actions, server_env, write_endpoints
from mall.settings import ROOT

# Runs a command and prints its wall time and the peak memory of its process tree.
_MEASURED = """
import resource, subprocess, sys, time
started = time.perf_counter()
status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(status, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@dataclass
class Bot:
    name: str
    project: Path
    train_args: List[str]
    # Messages for the measurements (first messages of conversations, a long conversation).
    faq_texts: List[str]
    long_texts: List[str]
    action_texts: List[str] = field(default_factory=list)  # turns that run a custom action

    @property
    def has_actions(self) -> bool:
        return bool(self.action_texts)


ASSISTANT = Bot(
    name="assistant",
    project=ROOT,
    train_args=[],
    faq_texts=["分期有手续费吗", "how do I pay in installments", "怎么还款", "which installment options are there"],
    # Seven texts: turn 50 sends turn 1's message again (49 = 7 × 7), so the two compare
    # conversation length, not two different replies.
    long_texts=[
        "分期有手续费吗",
        "how do I pay in installments",
        "怎么还款",
        "谢谢",
        "逾期会怎样",
        "is there any interest",
        "支持哪些分期方式",
    ],
    action_texts=[
        f"订单52011210000000{n:02d} 尾号{tail} 查一下状态" for n, tail in [(1, 1234), (3, 5678), (6, 9012), (8, 3456)]
    ],
)


def stock_bot(directory: Path) -> Bot:
    """Rasa's initial project, as `rasa init` writes it (copied here without its training
    run: the benchmark times training itself)."""
    if not (directory / "config.yml").exists():
        import rasa.cli.scaffold

        template = Path(rasa.cli.scaffold.__file__).parent / "initial_project"
        shutil.copytree(template, directory, dirs_exist_ok=True)
    return Bot(
        name="stock",
        project=directory,
        train_args=[],
        faq_texts=["hello", "I am happy", "are you a bot?", "good morning"],
        long_texts=[
            "hello",
            "I am great",
            "are you a bot?",
            "good morning",
            "I am very happy",
            "am I talking to a human?",
            "perfect",
        ],  # seven, as above
    )


@dataclass
class Training:
    seconds: float
    peak_mb: float
    model: Path


def train(bot: Bot, out_dir: Path, cache_dir: Path, force: bool = False) -> Training:
    """`rasa train` in the bot's project with its own cache folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [str(RASA), "train", *bot.train_args, "--out", str(out_dir), "--fixed-model-name", bot.name]
    if force:
        command.append("--force")
    env = server_env(
        out_dir / "unused.db", out_dir / "unused-conversations.db", {"RASA_CACHE_DIRECTORY": str(cache_dir)}
    )
    output = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command],
        cwd=bot.project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    status, seconds, peak_kb = int(output[0]), float(output[1]), int(output[2])
    if status != 0:
        raise RuntimeError(f"training {bot.name} failed with status {status}")
    return Training(seconds, peak_kb / 1024, out_dir / f"{bot.name}.tar.gz")


def timed_make_train() -> float:
    """The project's own entry point when nothing changed (make skips rasa entirely). A first
    `make train` brings models/ up to date untimed: in a fresh clone it trains."""
    _make_train()
    started = time.perf_counter()
    _make_train()
    return time.perf_counter() - started


def _make_train() -> None:
    done = subprocess.run(["make", "train"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"make train failed with status {done.returncode}:\n{done.stderr[-4000:]}")


@dataclass
class Served:
    url: str
    ready_seconds: float
    first_reply_seconds: float
    rasa_pid: int
    actions_pid: Optional[int]

    def peak_mb(self) -> float:
        return sum(_peak_rss_mb(pid) for pid in (self.rasa_pid, self.actions_pid) if pid)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def serving(bot: Bot, model: Path, workdir: Path) -> Iterator[Served]:
    """Action server (if the bot has custom actions) and `rasa run`; times the start."""
    workdir.mkdir(parents=True, exist_ok=True)
    orders_db = workdir / "orders.db"
    token, port = "bench-token", free_port()
    with ExitStack() as stack:
        actions = None
        if bot.has_actions:
            actions = stack.enter_context(running_actions(workdir, orders_db))
            endpoints = write_endpoints(workdir, int(actions.url.rsplit(":", 1)[1]))
        else:
            endpoints = bot.project / "endpoints.yml"
        command = [
            str(RASA),
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(bot.project / "credentials.yml"),
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--enable-api",
            "--auth-token",
            token,
        ]
        started = time.perf_counter()
        env = server_env(orders_db, workdir / "conversations.db")
        process = stack.enter_context(background(command, workdir / "rasa.log", env, cwd=bot.project))
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/status?token={token}", process, workdir / "rasa.log")
        ready = time.perf_counter() - started
        requests.post(
            f"{url}/webhooks/rest/webhook", json={"sender": "first", "message": bot.faq_texts[0]}, timeout=120
        ).raise_for_status()
        first_reply = time.perf_counter() - started
        yield Served(url, ready, first_reply, process.pid, actions.process.pid if actions else None)


def machine_description() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GB RAM, Python {sys.version.split()[0]}"
