"""Dialogue policies of the project's own, named in config.yml.

- `HandoffWaitPolicy`: while a customer waits for a human agent (slot
  mall.support.WAITING_FOR_AGENT_SLOT, set by action_handoff_to_human), every message is
  answered by action_handoff_waiting alone (actions/handoff.py): it acknowledges the
  message with the place in the queue, keeps quiet once an agent has joined, and hands the
  conversation back when the customer no longer wants an agent. A typed payload
  ("/restart", "/inform{...}") runs nothing at all: it is kept for the agent. Its
  predictions overrule every other policy's, rules and forms included.
- `EarlyStoppingRulePolicy`: Rasa's RulePolicy, whose rule filter stops at the longest rule
  still possible (Rasa checks every rule against every past state, oldest included, though a
  rule shorter than the states checked so far matches whatever came before it: the same
  rules, found with less work on every prediction; bench/findings.md has the figures).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from mall.support import WAITING_FOR_AGENT_SLOT

WAITING_ACTION = "action_handoff_waiting"


def typed_payload(text: Optional[str]) -> bool:
    return (text or "").lstrip().startswith("/")


def next_action_while_waiting(tracker: DialogueStateTracker) -> Optional[str]:
    """What runs next in a conversation waiting for an agent; None when it is not waiting
    (the other policies decide)."""
    if tracker.latest_action_name == WAITING_ACTION:
        return ACTION_LISTEN_NAME  # whatever it decided, the turn ends here
    if not tracker.get_slot(WAITING_FOR_AGENT_SLOT):
        return None
    if tracker.latest_action_name != ACTION_LISTEN_NAME:
        return ACTION_LISTEN_NAME  # the handoff itself has just run
    text = tracker.latest_message.text if tracker.latest_message else None
    return ACTION_LISTEN_NAME if typed_payload(text) else WAITING_ACTION


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffWaitPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy's 6: the wait outranks rules, forms and fallbacks.
        return {"priority": 7}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = next_action_while_waiting(tracker)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        # "No user" predictions overrule all others in Rasa's ensemble, whatever their confidence.
        return self._prediction(confidence_scores_for(action, 1.0, domain), is_no_user_prediction=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class EarlyStoppingRulePolicy(RulePolicy):
    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Set[Text]:
        possible = set(lookup)
        for turn_index, state in enumerate(reversed(states)):
            # Rasa's _is_rule_applicable is True for every turn at or past a rule's length.
            if turn_index >= max((len(self._rule_key_to_state(key)) for key in possible), default=0):
                break
            possible = {key for key in possible if self._is_rule_applicable(key, turn_index, state)}
        return possible
