"""Redis or the database unreachable at the door of a message: the customer gets the
apology with the hotline in their language, and Rasa's fail-safe wrapper, which would start
an empty conversation instead, is kept away from the project's store. (End to end, with a
real cluster whose Redis and PostgreSQL are stopped: tests/test_cluster.py.)"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

from mall import support
from rasa_addons import outages, patches
from rasa_addons.nlg import BilingualNLG
from rasa_addons.tracker_store import TrackerStoreUnavailable, WindowedTrackerStore
from tests.support import assistant_domain


def failing(error: Exception):
    async def handle_message(agent, message):
        raise error

    return outages.apologise_when_stores_fail(handle_message)


@pytest.mark.parametrize(
    "error",
    [
        LockError("Error while acquiring lock"),
        sqlalchemy.exc.OperationalError("SELECT", {}, Exception("connection refused")),
    ],
)
@pytest.mark.parametrize(
    "text, expected", [("我想换支付方式", "系统暂时没有响应"), ("change my payment", "isn't responding")]
)
def test_a_store_outage_gets_the_apology_in_the_customers_language(error, text, expected):
    domain = assistant_domain()
    agent = SimpleNamespace(nlg=BilingualNLG(domain=domain), domain=domain)
    output = CollectingOutputChannel()
    asyncio.run(failing(error)(agent, UserMessage(text, output, "outage-1")))
    (reply,) = output.messages
    assert expected in reply["text"] and support.HOTLINE in reply["text"]


def test_other_errors_are_not_hidden():
    domain = assistant_domain()
    agent = SimpleNamespace(nlg=BilingualNLG(domain=domain), domain=domain)
    with pytest.raises(KeyError):
        asyncio.run(failing(KeyError("a bug"))(agent, UserMessage("hi", CollectingOutputChannel(), "outage-2")))


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
