"""The project's dialogue policies (config.yml): waiting for a human agent, and RulePolicy with a
rule filter that stops early but finds the same rules as Rasa's."""

from __future__ import annotations

import json
import random

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from mall.support import WAITING_FOR_AGENT_SLOT
from rasa_addons.policies import WAITING_ACTION, EarlyStoppingRulePolicy, next_action_while_waiting
from tests.support import assistant_domain


def conversation(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("waiting", list(events), assistant_domain().slots)


HANDED_OFF = (
    ActionExecuted(ACTION_LISTEN_NAME),
    UserUttered("转人工", intent={"name": "request_human"}),
    ActionExecuted("action_handoff_to_human"),
    SlotSet(WAITING_FOR_AGENT_SLOT, True),
)


def customer_says(text: str, intent: str = "inform"):
    return (ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, intent={"name": intent}))


def test_not_waiting_leaves_the_decision_to_the_other_policies():
    assert next_action_while_waiting(conversation(*customer_says("分期有手续费吗", "ask_installment_fees"))) is None


def test_the_handoff_ends_the_turn():
    assert next_action_while_waiting(conversation(*HANDED_OFF)) == ACTION_LISTEN_NAME


@pytest.mark.parametrize("intent", ["ask_installment_fees", "deny", "restart", "nlu_fallback", "request_human"])
def test_while_waiting_every_message_gets_the_waiting_action_only(intent):
    waiting = conversation(*HANDED_OFF, *customer_says("有人吗", intent))
    assert next_action_while_waiting(waiting) == WAITING_ACTION
    assert (
        next_action_while_waiting(conversation(*waiting.events, ActionExecuted(WAITING_ACTION))) == ACTION_LISTEN_NAME
    )


@pytest.mark.parametrize("typed", ["/restart", ' /inform{"order_id": "5201121000000001"}'])
def test_a_typed_payload_while_waiting_runs_nothing(typed):
    assert next_action_while_waiting(conversation(*HANDED_OFF, *customer_says(typed, "restart"))) == ACTION_LISTEN_NAME


def test_the_turn_ends_after_the_waiting_action_even_when_it_ended_the_wait():
    back = conversation(
        *HANDED_OFF,
        *customer_says("算了", "deny"),
        ActionExecuted(WAITING_ACTION),
        SlotSet(WAITING_FOR_AGENT_SLOT, None),
    )
    assert next_action_while_waiting(back) == ACTION_LISTEN_NAME
    assert next_action_while_waiting(conversation(*back.events, *customer_says("分期有手续费吗"))) is None


def test_the_rules_that_match_are_those_rasa_finds():
    generator = random.Random(7)
    actions, intents = ["action_listen", "utter_a", "action_b", None], ["greet", "pay", "deny"]

    def state():
        chosen = {}
        if action := generator.choice(actions):
            chosen["prev_action"] = {"action_name": action}
        if generator.random() < 0.5:
            chosen["user"] = {"intent": generator.choice(intents)}
        if generator.random() < 0.3:
            chosen["active_loop"] = {"name": generator.choice(["form", "should_not_be_set"])}
        return chosen

    lookup = {json.dumps([state() for _ in range(generator.randint(1, 4))]): "x" for _ in range(60)}
    # The filter reads nothing of a trained policy but its rules.
    ours, rasas = object.__new__(EarlyStoppingRulePolicy), object.__new__(RulePolicy)
    matched = 0
    for _ in range(300):
        states = [state() for _ in range(generator.randint(0, 12))]
        found = rasas._get_possible_keys(lookup, states)
        assert ours._get_possible_keys(lookup, states) == found
        matched += bool(found)
    assert matched > 30  # the states do match rules, not only none
