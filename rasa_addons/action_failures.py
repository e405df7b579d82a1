"""When the action server is down or too slow, the customer gets the apology, not silence.

Rasa 3.6 logs a failed custom action and carries on without its events, so the customer
hears nothing (and waits up to five minutes when the action server hangs). Here every
action that needs the action server (custom actions, forms with a validation action) runs
with a time limit; if it cannot complete, the customer's message is reverted, so after the
outage they simply say it again and the conversation goes on from where it was (the open
form and its question included), and the customer gets the apology (rasa_addons.apology).
Rasa has no door for this: `apologise_on_failure` wraps MessageProcessor._run_action
(rasa_addons.patches).

Two things in Rasa make a plain `UserUtteranceReverted` lose the customer's place:
- Rasa logs the action as executed even when it failed (MessageProcessor._run_action), unless
  its events say it was rejected. So the failed action is reported as rejected.
- A tracker replays its events through `applied_events()`, which drops the user turns between
  two runs of a form on its happy path. A revert after a form that ran successfully in the
  same turn (the validation passed, then the next action failed) therefore also reverts the
  turn before. Whatever the revert got wrong is set back explicitly: the slots and the active
  form as they were before the customer's message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.actions.forms import FormAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    FollowupAction,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from mall import settings
from rasa_addons import metrics
from rasa_addons.apology import apology

logger = logging.getLogger(__name__)


def state_before_latest_message(tracker: DialogueStateTracker) -> Optional[DialogueStateTracker]:
    events = list(tracker.events)
    latest = next((i for i in range(len(events) - 1, -1, -1) if isinstance(events[i], UserUttered)), None)
    if latest is None:
        return None
    return DialogueStateTracker.from_events(tracker.sender_id, events[:latest], list(tracker.slots.values()))


def revert_latest_message(tracker: DialogueStateTracker, failed_action: str) -> List[Event]:
    """Events that undo the customer's latest message and what followed it, leaving slots
    and the active form as they were before it."""
    before = state_before_latest_message(tracker)
    rejected = ActionExecutionRejected(failed_action)
    if before is None:
        return [rejected]
    events: List[Event] = [rejected, UserUtteranceReverted()]
    after = tracker.copy()
    after.update_with_events(events, None)
    for name, slot in before.slots.items():
        if after.slots[name].value != slot.value:
            events.append(SlotSet(name, slot.value))
    if after.active_loop_name != before.active_loop_name:
        events.append(ActiveLoop(before.active_loop_name))
    return events


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
            metrics.action_failed(self._action.name())
            reply = await apology(nlg, tracker, output_channel.name())
            events = revert_latest_message(tracker, self._action.name())
            if reply:
                events.append(create_bot_utterance(reply))
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
