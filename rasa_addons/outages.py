"""When Redis or the database cannot be reached, the customer gets the apology with the
hotline, not silence, and the conversation goes on once they are back.

Rasa takes the conversation's lock and reads the conversation before anything else of a
message (`Agent.handle_message`): with Redis down the lock store raises LockError there,
with PostgreSQL down the tracker store raises a database error, and Rasa's channels log it
and answer nothing. Here those failures become `utter_service_unavailable` in the
customer's language. Nothing of the message was stored, so the customer simply says it
again once the service is back, and the conversation continues where it was.

Rasa also wraps every tracker store in a FailSafeTrackerStore (`Agent._create_tracker_store`),
which hides exactly these failures: a failed read becomes a new, empty conversation (the
customer's form, language and verification forgotten mid-flow) and a failed write is kept
in this process's memory only. This project's store is used as it is instead.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

import redis.exceptions
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.action_failures import APOLOGY
from rasa_addons.patches import Patch

logger = logging.getLogger(__name__)

# What an unreachable lock store or conversation store raises (a pool that cannot hand out
# a connection in time raises sqlalchemy's TimeoutError).
STORE_FAILURES = (
    LockError,
    sqlalchemy.exc.DBAPIError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.RedisError,
    ConnectionError,
)

HandleMessage = Callable[..., Awaitable[Any]]


async def apologise(agent: Agent, message: UserMessage) -> None:
    """utter_service_unavailable, in the language of this message (no stored conversation
    is needed, or could be read)."""
    if agent.nlg is None or message.output_channel is None or agent.domain is None:
        return
    tracker = DialogueStateTracker(message.sender_id, agent.domain.slots)
    tracker.update(UserUttered(message.text, metadata=message.metadata))
    try:
        response = await agent.nlg.generate(APOLOGY, tracker, message.output_channel.name())
        if response:
            await message.output_channel.send_response(message.sender_id, response)
    except Exception:  # the channel itself may be what failed
        logger.exception("The apology could not be sent to conversation %s", message.sender_id)


def apologise_when_stores_fail(handle_message: HandleMessage) -> HandleMessage:
    """Wraps Agent.handle_message, the door every channel's message goes through."""

    async def handle_message_or_apologise(self: Agent, message: UserMessage) -> Optional[Any]:
        try:
            return await handle_message(self, message)
        except STORE_FAILURES as failure:
            logger.error(
                "Conversation %s: the lock store or the conversation store failed (%s: %s); "
                "the customer gets the apology and can say it again.",
                message.sender_id,
                type(failure).__name__,
                failure,
            )
            await apologise(self, message)
            return None

    return handle_message_or_apologise


def our_store_unwrapped(create_tracker_store: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps Agent._create_tracker_store (a staticmethod: rasa_addons.patches keeps it one)."""

    def create_tracker_store_failing_loudly(store: Any, domain: Domain) -> Any:
        from rasa_addons.tracker_store import WindowedTrackerStore

        if isinstance(store, WindowedTrackerStore):
            store.domain = domain
            return store
        return create_tracker_store(store, domain)

    return create_tracker_store_failing_loudly


PATCHES = (
    Patch(
        Agent,
        "handle_message",
        apologise_when_stores_fail,
        "the apology with the hotline when Redis or the database is down, not silence",
    ),
    Patch(
        Agent,
        "_create_tracker_store",
        our_store_unwrapped,
        "no FailSafeTrackerStore around the project's store: an outage must not start an empty conversation",
    ),
)
