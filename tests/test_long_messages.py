"""One customer's message must not stall everyone: limits at the door, NLU off the event
loop, and a cost linear in a message's length. Figures: docs/RELIABILITY.md."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
import uuid
from collections import defaultdict
from functools import partial
from types import SimpleNamespace
from typing import Dict, List
from unittest.mock import patch

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from launcher.processes import free_port, start, stop, wait_until_up
from launcher.stack import Assistant, rasa_command, server_env, write_endpoints
from mall import settings as mall_settings
from mall.conversations import ConversationLog
from rasa_addons import nlu_threads
from rasa_addons.crf_entities import ThreadSafeCRFEntityExtractor
from rasa_addons.digit_entities import find_digit_entities
from rasa_addons.regex_featurizer import LinearRegexFeaturizer
from rasa_addons.tokenizer import MAX_PIECE_CHARS, pieces
from tests.socket_customer import SocketCustomer
from tests.support import require_model, wait_until

LIMIT = mall_settings.MAX_MESSAGE_CHARS
PATTERNS = [
    {"name": "sixteen_digits", "pattern": r"\d{16}"},
    {"name": "four_digits", "pattern": r"(?<!\d)\d{4}(?!\d)"},
    {"name": "mobile_number", "pattern": r"(?<!\d)1[3-9]\d{9}(?!\d)"},
    {"name": "empty_matches", "pattern": r"(?=期)"},
]

# -- the cost of a message is linear in its length -------------------------------------------


def tokens_of(text: str) -> List[Token]:
    tokens, position = [], 0
    for word in text.split(" "):
        if word:
            tokens.append(Token(word, position))
        position += len(word) + 1
    return tokens


def featurize(featurizer: RegexFeaturizer, text: str):
    message = Message(data={TEXT: text})
    message.set(TOKENS_NAMES[TEXT], tokens_of(text))
    sequence, sentence = featurizer._features_for_patterns(message, TEXT)
    patterns = [token.get("pattern") for token in message.get(TOKENS_NAMES[TEXT])]
    return sequence.toarray().tolist(), sentence.toarray().tolist(), patterns


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["1234", "5201121000000001", "13800001234", "分12期", "期", "x", "12"]), min_size=1))
def test_linear_regex_features_are_rasas_features(words):
    text = " ".join(words)
    context = ExecutionContext(graph_schema=None, model_id="test")
    config = {**RegexFeaturizer.get_default_config(), "case_sensitive": False, "use_word_boundaries": False}
    args = (config, None, Resource("regex"), context)
    assert featurize(LinearRegexFeaturizer(*args, known_patterns=PATTERNS), text) == featurize(
        RegexFeaturizer(*args, known_patterns=PATTERNS), text
    )


def test_long_text_goes_to_jieba_in_pieces_cut_after_punctuation():
    text = ("我想分期付款，" * 50) + "分" * 450
    cut = list(pieces(text))
    assert "".join(piece for _, piece in cut) == text
    assert all(len(piece) <= MAX_PIECE_CHARS for _, piece in cut)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in cut)
    assert all(piece.endswith("，") for _, piece in cut[:-3])
    assert list(pieces("我想分期付款")) == [(0, "我想分期付款")]


def test_digit_entities_in_a_message_full_of_digit_groups():
    text = "，".join(["1234"] * 2000 + ["5201121000000001"])
    found = find_digit_entities(text)
    assert [e["entity"] for e in found] == ["phone_tail"] * 2000 + ["order_id"]


def test_nlu_runs_in_a_thread_while_the_loop_serves_others():
    class SlowProcessor:
        http_interpreter = None

        async def parse_message(self, message):
            self.thread = threading.current_thread()
            time.sleep(0.5)  # the pipeline is synchronous: a thread that runs it is busy
            return {"text": message.text, "intent": {"name": "greet"}, "entities": []}

    async def main():
        agent = SimpleNamespace(processor=SlowProcessor())
        ticks = 0

        async def other_customers():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(other_customers())
        parsed = await nlu_threads.parse(agent, UserMessage("你好", sender_id="a"))
        ticking.cancel()
        return agent.processor.thread, parsed, ticks

    thread, parsed, ticks = asyncio.run(main())
    assert thread is not threading.main_thread() and parsed["intent"]["name"] == "greet"
    assert ticks >= 20  # the loop went on while the message was parsed


def test_each_nlu_thread_tags_with_its_own_crf_tagger():
    class Tagger:
        pass

    used = []  # (thread, extractor, tagger), the objects themselves: ids of freed ones repeat

    def extract_entities(extractor, message):
        used.append((threading.current_thread().name, extractor, extractor.entity_taggers["entity"]))
        return []

    shared = object.__new__(ThreadSafeCRFEntityExtractor)  # as loaded: its taggers and nothing else read
    shared.entity_taggers = {"entity": Tagger()}
    shared._per_thread = threading.local()
    with patch.object(CRFEntityExtractor, "extract_entities", extract_entities):
        run = partial(shared.extract_entities, None)
        threads = [threading.Thread(target=lambda: [run() for _ in range(2)], name=f"nlu-{i}") for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run()  # the main thread (training, rasa test) uses the component as it is
    for name in ("nlu-0", "nlu-1"):
        mine = [(extractor, tagger) for thread, extractor, tagger in used if thread == name]
        assert len(mine) == 2 and mine[0][0] is mine[1][0] and mine[0][1] is mine[1][1]  # kept per thread
        assert mine[0][0] is not shared and mine[0][1] is not shared.entity_taggers["entity"]
    first, second = (next(tagger for thread, _, tagger in used if thread == name) for name in ("nlu-0", "nlu-1"))
    assert first is not second
    assert used[-1][1:] == (shared, shared.entity_taggers["entity"])


# -- the door: through the real channels ---------------------------------------------------------


@pytest.fixture
def assistant(site) -> Assistant:
    """The session's running assistant (conftest.site): the door is the same for every channel."""
    return site


def stored_events(assistant: Assistant, sender: str) -> int:
    log = ConversationLog(assistant.workdir / "conversations.db")
    try:
        stored = log.conversation(sender)
        return stored.event_count if stored else 0
    finally:
        log.close()


@pytest.mark.conversation
@pytest.mark.parametrize(
    "message, expected",
    [("分" * (LIMIT + 1), "太长"), ("please " * LIMIT, "too long"), ("支付" * 5_000, "太长"), ("🙂" * 10_000, "太长")],
    ids=["zh-just-over", "en", "zh-10000", "emoji-10000"],
)
def test_a_message_over_the_limit_gets_a_clear_reply_and_changes_nothing(assistant, message, expected):
    sender = f"long-{uuid.uuid4().hex[:8]}"
    assert "订单号" in " ".join(r.get("text", "") for r in assistant.say(sender, "我想换个支付方式"))
    before = stored_events(assistant, sender)
    replies = assistant.say(sender, message)
    assert len(replies) == 1 and expected in replies[0]["text"] and str(LIMIT) in replies[0]["text"]
    assert stored_events(assistant, sender) == before  # no NLU, nothing stored
    # The conversation is where it was: the order number is still what is asked for.
    assert "后4位" in " ".join(r.get("text", "") for r in assistant.say(sender, "5201121000000001"))


@pytest.mark.conversation
def test_a_message_at_the_limit_is_understood(assistant):
    message = ("分期有手续费吗？" * LIMIT)[:LIMIT]
    assert "手续费" in " ".join(r.get("text", "") for r in assistant.say("at-the-limit", message))


@pytest.mark.conversation
def test_the_widget_channel_has_the_same_door(assistant):
    async def chat():
        customer = SocketCustomer(assistant.rasa_url, language="en")
        await customer.connect()
        try:
            await customer.say("x " * LIMIT)
            return await customer.wait_for("too long")
        finally:
            await customer.close()

    assert str(LIMIT) in asyncio.run(chat())


@pytest.mark.conversation
def test_a_huge_request_body_is_refused_before_it_is_read(assistant):
    body = b'{"sender": "huge", "message": "' + b"a" * 6_000_000 + b'"}'
    for path in ("/webhooks/rest/webhook", "/socket.io/?EIO=4&transport=polling"):
        url = assistant.rasa_url + path
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 413, url


@pytest.mark.conversation
def test_other_customers_are_answered_while_someone_floods_the_server(assistant):
    """Four senders loop over messages at the limit and a six-times-larger one; another
    customer's questions are all answered meanwhile (timings: docs/RELIABILITY.md)."""
    stop = threading.Event()
    flood_replies: Dict[str, List[str]] = defaultdict(list)

    def flood(sender: str, message: str) -> None:
        while not stop.is_set():
            try:
                flood_replies[sender].append(str(assistant.say(sender, message)))
            except requests.RequestException as failure:
                flood_replies[sender].append(repr(failure))

    at_limit = ("我想把订单5201121000000001换成信用卡分12期 " * LIMIT)[:LIMIT]
    flooders = [threading.Thread(target=flood, args=(f"flood-{i}", at_limit)) for i in range(3)]
    flooders.append(threading.Thread(target=flood, args=("flood-huge", "分" * 200_000)))
    for flooder in flooders:
        flooder.start()
    try:
        wait_until(lambda: len(flood_replies) == len(flooders), 60, "every flooder answered: the flood under way")
        answers = []
        for number in range(10):
            replies = requests.post(
                f"{assistant.rasa_url}/webhooks/rest/webhook",
                json={"sender": f"bystander-{number}", "message": "分期有手续费吗"},
                timeout=10,
            ).json()
            answers.append(" ".join(reply.get("text", "") for reply in replies))
    finally:
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=60)
    assert all("手续费" in answer for answer in answers)
    assert flood_replies


@pytest.mark.conversation
def test_sigterm_stops_the_server_promptly_under_load(tmp_path):
    require_model()
    port, actions_port = free_port(), free_port()
    log = tmp_path / "rasa.log"
    env = server_env(tmp_path / "orders.db", tmp_path / "conversations.db")
    process = start(rasa_command(port, write_endpoints(tmp_path, actions_port)), log, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)

        def send(message: str) -> None:
            with contextlib.suppress(requests.RequestException):
                requests.post(f"{url}/webhooks/rest/webhook", json={"sender": "t", "message": message}, timeout=120)

        for message in ("分" * 200_000, "分" * LIMIT, "分" * LIMIT):
            threading.Thread(target=send, args=(message,), daemon=True).start()
        time.sleep(1.0)  # under way: nothing the server does for these can be seen from outside
        asked = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        assert time.monotonic() - asked < 30
    finally:
        stop(process)


def test_the_limits_leave_room_for_a_message_over_the_limit():
    """A message well over the limit still reaches the door (and gets the clear reply)
    instead of being cut off as a too-large request, even JSON-escaped."""
    escaped = len(('{"sender":"s","message":"' + "\\u5206" * (10 * LIMIT) + '"}').encode())
    assert escaped < mall_settings.MAX_REQUEST_BYTES
