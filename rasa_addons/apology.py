"""Replies outside the dialogue, and the one apology for every failure a customer can meet.

Whatever fails (Redis or the database at the door of a message, the action server behind an
action, an action's own error on the action server), the customer hears the same response,
mall.support.APOLOGY_RESPONSE ("sorry, the system is not responding: say it again in a
moment, or call the hotline"), in their language. Nothing of the failed message is kept, so
saying it again carries on where the conversation was.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import redis.exceptions
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from mall import settings
from mall.support import APOLOGY_RESPONSE

logger = logging.getLogger(__name__)

# What an unreachable lock store or conversation store raises (a pool that cannot hand out a
# connection in time raises sqlalchemy's TimeoutError).
STORE_FAILURES = (
    LockError,
    sqlalchemy.exc.DBAPIError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.RedisError,
    ConnectionError,
)


async def apology(
    nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker, channel: str
) -> Optional[Dict[str, Any]]:
    """The apology, rendered in the language of the tracker's latest message."""
    return await nlg.generate(APOLOGY_RESPONSE, tracker, channel)


async def _conversation_with(agent: Agent, message: UserMessage, read_stored: bool) -> DialogueStateTracker:
    """The message on top of its stored conversation (for the reply's language), never
    saved; the message alone when `read_stored` is off or the store cannot be read."""
    stored: Optional[DialogueStateTracker] = None
    if read_stored and agent.tracker_store is not None:
        try:
            stored = await agent.tracker_store.retrieve(message.sender_id)
        except STORE_FAILURES:
            stored = None
    tracker = stored or DialogueStateTracker(message.sender_id, (agent.domain or Domain.empty()).slots)
    tracker.update(UserUttered((message.text or "")[: settings.MAX_MESSAGE_CHARS], metadata=message.metadata))
    return tracker


async def _send(message: UserMessage, reply: Optional[Dict[str, Any]]) -> None:
    if not reply or message.output_channel is None:
        return
    try:
        await message.output_channel.send_response(message.sender_id, reply)
    except Exception:  # the channel itself may be what failed
        logger.exception("A reply could not be sent to conversation %s", message.sender_id)


async def refuse(agent: Agent, message: UserMessage, response: str, **variables: Any) -> None:
    """Answers `message` with `response` and does nothing else with it: no NLU, no dialogue,
    nothing stored."""
    if agent.nlg is None or message.output_channel is None:
        return
    tracker = await _conversation_with(agent, message, read_stored=True)
    await _send(message, await agent.nlg.generate(response, tracker, message.output_channel.name(), **variables))


async def apologise(agent: Agent, message: UserMessage) -> None:
    """The apology for a message the stores could not take (the stored conversation is not
    read: the store may be what failed)."""
    if agent.nlg is None or message.output_channel is None:
        return
    tracker = await _conversation_with(agent, message, read_stored=False)
    await _send(message, await apology(agent.nlg, tracker, message.output_channel.name()))
