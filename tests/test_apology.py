"""One apology for every failure the customer meets, in their language, once per cause:
Redis or the database at the door of a message, the action server down or too slow behind an
action, an action's own error on the action server. And what is refused at the door goes
through the same reply path. (End to end: a real cluster whose Redis and PostgreSQL are
stopped, tests/test_cluster.py; a real action server killed or hanging,
tests/test_injected_faults.py.)"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, List

import pytest
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.events import BotUttered, UserUtteranceReverted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from actions.failures import apologise_on_failure
from mall import settings, support
from rasa_addons import patches
from rasa_addons.action_failures import _ApologisingAction
from rasa_addons.door import Door
from rasa_addons.nlg import BilingualNLG
from rasa_addons.tracker_store import TrackerStoreUnavailable, WindowedTrackerStore
from tests.support import assistant_domain, run, tracker

APOLOGY = {"zh": "系统暂时没有响应", "en": "isn't responding"}
SAID = {"zh": "我想换支付方式", "en": "change my payment"}


def door_of(tmp_path) -> Door:
    domain = assistant_domain()
    agent = SimpleNamespace(
        nlg=BilingualNLG(domain=domain),
        domain=domain,
        tracker_store=WindowedTrackerStore(domain, db=str(tmp_path / "c.db")),
        is_ready=lambda: True,
    )
    door = Door()
    door._app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))  # as Rasa's start listener leaves it
    return door


def failing(error: Exception):
    async def handle_message(message: UserMessage) -> None:
        raise error

    return handle_message


def said(text: str, output: CollectingOutputChannel) -> UserMessage:
    # Already read (parse_data): the door goes straight to Rasa's handler.
    return UserMessage(text, output, "outage-1", parse_data={"intent": {"name": "change_payment_method"}})


@pytest.mark.parametrize(
    "error",
    [
        LockError("Error while acquiring lock"),
        sqlalchemy.exc.OperationalError("SELECT", {}, Exception("connection refused")),
    ],
    ids=["lock store down", "conversation store down"],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_store_outage_at_the_door_gets_the_apology(tmp_path, error, language):
    output = CollectingOutputChannel()
    asyncio.run(door_of(tmp_path).guard(failing(error))(said(SAID[language], output)))
    (reply,) = output.messages
    assert APOLOGY[language] in reply["text"] and support.HOTLINE in reply["text"]


def test_other_errors_at_the_door_are_not_hidden(tmp_path):
    with pytest.raises(KeyError):
        asyncio.run(door_of(tmp_path).guard(failing(KeyError("a bug")))(said("hi", CollectingOutputChannel())))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_action_server_that_fails_gets_the_apology_and_the_message_is_reverted(language):
    class Unreachable:
        def name(self) -> str:
            return "action_lookup_order"

        async def run(self, *args: Any) -> List[Any]:
            raise RasaException("Failed to execute custom action: connection refused")

    domain = assistant_domain()
    conversation = DialogueStateTracker("c", domain.slots)
    conversation.update(UserUttered(SAID[language], intent={"name": "change_payment_method"}))
    events = asyncio.run(
        _ApologisingAction(Unreachable(), 1.0).run(
            CollectingOutputChannel(), BilingualNLG(domain=domain), conversation, domain
        )
    )
    (reply,) = [event for event in events if isinstance(event, BotUttered)]
    assert APOLOGY[language] in reply.text and support.HOTLINE in reply.text
    assert any(isinstance(event, UserUtteranceReverted) for event in events)


def test_an_actions_own_error_gets_the_same_apology(store, domain):
    class Broken:
        def name(self) -> str:
            return "action_broken"

        @apologise_on_failure
        async def run(self, dispatcher, tracker, domain):
            raise OSError("disk full")

    result = run(Broken(), tracker({}, text="我想换支付方式", intent="change_payment_method"), domain)
    assert result.responses == [support.APOLOGY_RESPONSE]


def test_a_message_too_long_is_refused_at_the_door_in_its_language(tmp_path):
    output = CollectingOutputChannel()
    handled: List[UserMessage] = []

    async def handle_message(message: UserMessage) -> None:
        handled.append(message)

    long_message = UserMessage("分期" * settings.MAX_MESSAGE_CHARS, output, "long-1")
    asyncio.run(door_of(tmp_path).guard(handle_message)(long_message))
    (reply,) = output.messages
    assert handled == [] and str(settings.MAX_MESSAGE_CHARS) in reply["text"]


def test_the_projects_store_is_not_wrapped_in_rasas_fail_safe(tmp_path):
    patches.install()
    ours = WindowedTrackerStore(assistant_domain(), db=str(tmp_path / "c.db"))
    assert Agent._create_tracker_store(ours, assistant_domain()) is ours
    others = Agent._create_tracker_store(InMemoryTrackerStore(assistant_domain()), assistant_domain())
    assert isinstance(others, FailSafeTrackerStore)


def test_a_store_that_cannot_open_fails_loudly():
    """Not AttributeError/ImportError, which Rasa would answer with an in-memory store."""
    with pytest.raises(TrackerStoreUnavailable):
        WindowedTrackerStore(assistant_domain(), db="postgresql://nobody@127.0.0.1:9/nothing")
