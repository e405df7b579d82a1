"""NLU runs in worker threads, so the event loop serves other customers meanwhile.

Rasa 3.6 runs the NLU pipeline inside `MessageProcessor.parse_message`, on the event loop:
while one message is parsed, no other customer's message is read, no reply is sent, and
SIGTERM is not handled. Here the pipeline runs in a thread pool and the loop only awaits it.
Every component of this pipeline only reads its trained state, except the CRF, whose
crfsuite tagger holds the message being tagged between calls: each NLU thread gets its own
tagger (a lock would make a short message wait for a long one's whole CRF pass).
"""

from __future__ import annotations

import asyncio
import copy
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Text

import structlog
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.patches import Patch

structlogger = structlog.get_logger()

NLU_THREADS = 4
# While a thread parses a long message, the event loop (and other customers' NLU) waits up to
# Python's switch interval for the GIL at every step of a turn; 5 ms by default.
SWITCH_INTERVAL_SECONDS = 0.001
_executor: Optional[ThreadPoolExecutor] = None
_executor_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            _executor = ThreadPoolExecutor(max_workers=NLU_THREADS, thread_name_prefix="nlu")
        return _executor


ParseMessage = Callable[..., Any]


def parse_in_a_thread(parse_message: ParseMessage) -> ParseMessage:
    async def parse_message_in_a_thread(
        self: MessageProcessor,
        message: UserMessage,
        tracker: Optional[DialogueStateTracker] = None,
        only_output_properties: bool = True,
    ) -> Dict[Text, Any]:
        if self.http_interpreter:  # NLU on another server: already awaited
            return await parse_message(self, message, tracker, only_output_properties)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        parse_data = await asyncio.get_running_loop().run_in_executor(
            executor(), self._parse_message_with_graph, message, tracker, only_output_properties
        )
        # What Rasa 3.6.21's parse_message does after the pipeline.
        self._update_full_retrieval_intent(parse_data)
        structlogger.debug(
            "processor.message.parse",
            parse_data_text=copy.deepcopy(parse_data["text"]),
            parse_data_intent=parse_data["intent"],
            parse_data_entities=copy.deepcopy(parse_data["entities"]),
        )
        self._check_for_unseen_features(parse_data)
        return parse_data

    return parse_message_in_a_thread


Process = Callable[[CRFEntityExtractor, List[Message]], List[Message]]
_own = threading.local()


def _own_extractor(shared: CRFEntityExtractor) -> CRFEntityExtractor:
    """This thread's copy of the extractor, with its own crfsuite taggers (a copy of a CRF
    opens a tagger of its own on the same trained model)."""
    copies: Dict[int, CRFEntityExtractor] = _own.__dict__.setdefault("extractors", {})
    mine = copies.get(id(shared))
    if mine is None:
        mine = copy.copy(shared)
        mine.entity_taggers = {name: copy.copy(crf) for name, crf in (shared.entity_taggers or {}).items()}
        copies[id(shared)] = mine
    return mine


def with_own_taggers(process: Process) -> Process:
    def process_in_this_thread(self: CRFEntityExtractor, messages: List[Message]) -> List[Message]:
        if threading.current_thread() is threading.main_thread():
            return process(self, messages)  # training, rasa test: one thread
        return process(_own_extractor(self), messages)

    return process_in_this_thread


PATCHES = (
    Patch(MessageProcessor, "parse_message", parse_in_a_thread, "NLU off the event loop"),
    Patch(CRFEntityExtractor, "process", with_own_taggers, "the CRF's tagger is not thread-safe"),
)
