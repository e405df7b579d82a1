"""NLU in worker threads, so the event loop serves other customers meanwhile.

Rasa 3.6 runs the NLU pipeline inside `MessageProcessor.parse_message`, on the event loop:
while one message is parsed, no other customer's message is read, no reply is sent, and
SIGTERM is not handled. The door (rasa_addons.door) parses each message here instead and
hands Rasa the result with the message (`UserMessage.parse_data`), which Rasa then uses as
it is. Every component of the pipeline only reads its trained state, except the CRF, which
gets a tagger per thread (rasa_addons.crf_entities).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, Dict, Optional, Text

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

NLU_THREADS = 4
# While a thread parses a long message, the event loop (and other customers' NLU) waits up to
# Python's switch interval for the GIL at every step of a turn; 5 ms by default.
SWITCH_INTERVAL_SECONDS = 0.001

_executor: Optional[ThreadPoolExecutor] = None
_executor_lock = threading.Lock()
_thread = threading.local()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            _executor = ThreadPoolExecutor(max_workers=NLU_THREADS, thread_name_prefix="nlu")
        return _executor


def _run_here(coroutine: Coroutine[Any, Any, Dict[Text, Any]]) -> Dict[Text, Any]:
    """Runs a coroutine that never waits on anything (the pipeline is synchronous) on this
    worker thread's own event loop."""
    loop = getattr(_thread, "loop", None)
    if loop is None:
        loop = _thread.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


async def parse(agent: Agent, message: UserMessage) -> Dict[Text, Any]:
    """What Rasa's `MessageProcessor.parse_message` makes of `message`, computed in a worker
    thread."""
    processor = agent.processor
    assert processor is not None  # the door runs once the model is loaded
    if processor.http_interpreter:  # NLU on another server: already awaited, off the loop
        return await processor.parse_message(message)
    return await asyncio.get_running_loop().run_in_executor(
        executor(), lambda: _run_here(processor.parse_message(message))
    )
