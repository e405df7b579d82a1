"""One conversation's messages reach Rasa in the order they came, though each is parsed in a
thread of its own and a short one is parsed sooner (rasa_addons.door)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from rasa_addons import door as door_module
from rasa_addons.door import Door


def test_a_message_parsed_sooner_does_not_overtake_an_earlier_one(monkeypatch):
    async def parse(agent, message: UserMessage):
        # The first message takes longer to read than the second (a long message, a busy thread).
        await asyncio.sleep(0.2 if message.text == "我要转人工" else 0.0)
        return {"text": message.text, "intent": {"name": "x", "confidence": 1.0}, "entities": []}

    monkeypatch.setattr(door_module.nlu_threads, "parse", parse)
    handled: List[str] = []

    async def handle_message(message: UserMessage) -> None:
        handled.append(f"{message.sender_id}: {message.text}")

    door = Door()
    agent = SimpleNamespace(is_ready=lambda: True, tracker_store=None)
    door._app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))  # as Rasa's start listener leaves it
    guarded = door.guard(handle_message)

    def said(sender: str, text: str) -> UserMessage:
        return UserMessage(text, CollectingOutputChannel(), sender)

    async def customers() -> None:
        await asyncio.gather(
            guarded(said("a", "我要转人工")), guarded(said("a", "算了，不用了")), guarded(said("b", "你好"))
        )

    asyncio.run(customers())
    assert [line for line in handled if line.startswith("a:")] == ["a: 我要转人工", "a: 算了，不用了"]
    assert handled[0] == "b: 你好"  # another conversation does not wait for this one
    assert door._in_order._locks == {}  # nothing kept once nobody waits
