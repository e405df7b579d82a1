"""Where a turn's time goes: the assistant in-process under cProfile.

    python -m bench.profile [faq|action|long] [--top 30]

Loads the trained model with the deployed endpoints (action server, NLG, SQL tracker
store), warms up, then profiles the chosen turns and prints the functions with the most
cumulative time. `long` profiles turns 40-50 of one conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import logging
import pstats
import tempfile
import uuid
from pathlib import Path

from bench.bots import ASSISTANT
from launcher.stack import running_actions, write_endpoints
from mall.settings import MODEL


async def turns(agent, kind: str, count: int) -> None:
    texts = itertools.cycle(ASSISTANT.action_texts if kind == "action" else ASSISTANT.faq_texts)
    for _ in range(count):
        await agent.handle_text(next(texts), sender_id=uuid.uuid4().hex)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["faq", "action", "long"])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)  # as `rasa run` does, quieter
    configure_structlog(logging.WARNING)

    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    workdir = Path(tempfile.mkdtemp(prefix="profile-"))
    with running_actions(workdir, workdir / "orders.db") as actions:
        endpoints = write_endpoints(workdir, int(actions.url.rsplit(":", 1)[1]))

        async def run() -> str:
            agent = await load_agent(model_path=str(MODEL), endpoints=AvailableEndpoints.read_endpoints(str(endpoints)))
            await turns(agent, args.kind, 10)  # warm-up
            profiler = cProfile.Profile()
            if args.kind == "long":
                sender, texts = uuid.uuid4().hex, itertools.cycle(ASSISTANT.long_texts)
                for _ in range(40):
                    await agent.handle_text(next(texts), sender_id=sender)
                profiler.enable()
                for _ in range(10):
                    await agent.handle_text(next(texts), sender_id=sender)
            else:
                profiler.enable()
                await turns(agent, args.kind, args.count)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            return out.getvalue()

        print(asyncio.run(run()))


if __name__ == "__main__":
    main()
