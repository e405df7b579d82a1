"""While a conversation waits for a human agent, the assistant only answers to the wait.

Rasa 3.6 runs no action at all in a paused conversation (ConversationPaused), except for
the `restart` intent, which a customer can type ("/restart"): that clears the pause and the
bot talks over the agent. Here, in a paused conversation:
- a typed payload ("/restart", "/inform{...}") does nothing: it is kept for the agent;
- any other message runs action_handoff_waiting (actions/handoff.py), which acknowledges it
  (place in the queue, or the agents' hours when they are closed), hands the conversation
  back to the assistant when the customer no longer wants an agent, and says nothing once
  an agent has joined;
- then the assistant listens again, as after any turn.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.patches import Patch

WAITING_ACTION = "action_handoff_waiting"
POLICY_NAME = "handoff_wait"

RunPredictionLoop = Callable[[MessageProcessor, OutputChannel, DialogueStateTracker], Awaitable[Any]]


def typed_payload(text: str) -> bool:
    return text.lstrip().startswith("/")


def answer_while_waiting(run_prediction_loop: RunPredictionLoop) -> RunPredictionLoop:
    async def run_prediction_loop_or_wait(
        self: MessageProcessor, output_channel: OutputChannel, tracker: DialogueStateTracker
    ) -> Any:
        if not tracker.is_paused():
            return await run_prediction_loop(self, output_channel, tracker)
        text = tracker.latest_message.text if tracker.latest_message else ""
        if not text or typed_payload(text):
            return None
        for name in (WAITING_ACTION, ACTION_LISTEN_NAME):
            prediction = PolicyPrediction.for_action_name(self.domain, name, POLICY_NAME)
            await self._run_action(self._get_action(name), tracker, output_channel, self.nlg, prediction)
        return None

    return run_prediction_loop_or_wait


PATCH = Patch(
    MessageProcessor,
    "_run_prediction_loop",
    answer_while_waiting,
    "a customer waiting for an agent is acknowledged and can cancel; /restart no longer unpauses",
)
