"""When the action server is down or too slow, the customer gets an apology, not silence.

Rasa 3.6 logs a failed custom action and carries on without its events, so the customer
hears nothing (and waits up to five minutes when the action server hangs). Here every
action that needs the action server (custom actions, forms with a validation action) runs
with a time limit; if it cannot complete, the customer's message is reverted (after the
outage they simply say it again and the conversation goes on from where it was), and the
assistant apologises in the customer's language with the hotline.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.actions.forms import FormAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import Event, FollowupAction, UserUtteranceReverted
from rasa.shared.exceptions import RasaException

from mall import settings
from rasa_addons.patches import Patch

logger = logging.getLogger(__name__)

APOLOGY = "utter_service_unavailable"


class _ApologisingAction:
    """Stands in for an action for one run; everything else is the action's own."""

    def __init__(self, action: Any, timeout_seconds: float) -> None:
        self._action = action
        self._timeout_seconds = timeout_seconds

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._action, attribute)

    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await asyncio.wait_for(self._action.run(output_channel, nlg, tracker, domain), self._timeout_seconds)
        except ActionExecutionRejection:
            raise  # a form that got no answer to its question: normal, the rules take over
        except (RasaException, asyncio.TimeoutError) as failure:
            logger.error("Action '%s' could not run on the action server: %r", self._action.name(), failure)
            apology = await nlg.generate(APOLOGY, tracker, output_channel.name())
            events: List[Event] = [UserUtteranceReverted()]
            if apology:
                events.append(create_bot_utterance(apology))
            return events + [FollowupAction(ACTION_LISTEN_NAME)]


RunAction = Callable[..., Awaitable[bool]]


def apologise_on_failure(run_action: RunAction) -> RunAction:
    """Wraps MessageProcessor._run_action, the one place Rasa runs a predicted action."""
    timeout_seconds = settings.action_timeout_seconds()

    async def run_action_or_apologise(self: MessageProcessor, action: Any, *args: Any, **kwargs: Any) -> bool:
        if isinstance(action, (RemoteAction, FormAction)):
            action = _ApologisingAction(action, timeout_seconds)
        return await run_action(self, action, *args, **kwargs)

    return run_action_or_apologise


PATCH = Patch(
    MessageProcessor, "_run_action", apologise_on_failure, "an apology instead of silence when the action server fails"
)
