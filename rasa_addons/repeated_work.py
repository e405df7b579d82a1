"""Work Rasa 3.6 does on every message whose answer is known already (found by profiling a
FAQ turn under load; the figures are in bench/findings.md).

- Which graph nodes a prediction needs (`GraphSchema.minimal_graph_schema`): Rasa walks the
  model's graph from the target down on every NLU parse and every policy prediction,
  revisiting shared nodes once per path to them; the graph is fixed once the model is
  loaded.
- Which Event class a stored event's type name means (`Event.resolve_by_type`): Rasa lists
  every subclass of Event anew (recursively, checking each for abstractness) for every event
  it reads back from the tracker store.
- Which rules still match (`RulePolicy._get_possible_keys`): Rasa filters every rule against
  every past state of the conversation, oldest included, although a rule shorter than the
  states checked so far matches whatever came before it. Stopping once every remaining rule
  is shorter gives the same rules.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Set, Text, Tuple, Type

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import GraphSchema
from rasa.shared.core.events import Event

from rasa_addons.patches import Patch

_MINIMAL_SCHEMAS = "_mall_minimal_schemas"


def remember_minimal_schemas(minimal_graph_schema: Callable[..., GraphSchema]) -> Callable[..., GraphSchema]:
    def remembered_minimal_graph_schema(self: GraphSchema, targets: Optional[List[Text]] = None) -> GraphSchema:
        # Kept on the schema itself: Rasa never changes a schema's nodes once built (pruning
        # for training makes a new GraphSchema), so each schema has its own answers.
        known: Dict[Tuple[Text, ...], GraphSchema] = self.__dict__.setdefault(_MINIMAL_SCHEMAS, {})
        key = tuple(targets) if targets else ()
        if key not in known:
            known[key] = minimal_graph_schema(self, targets)
        return known[key]

    return remembered_minimal_graph_schema


def remember_event_types(resolve_by_type: Callable[..., Any]) -> Callable[..., Any]:
    found: Dict[Text, Type[Event]] = {}

    def remembered_resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        event_class = found.get(type_name)
        if event_class is None:
            event_class = resolve_by_type(type_name, default)
            # Only real matches: a class imported later may still claim a name now unknown.
            if event_class is not None and event_class is not default:
                found[type_name] = event_class
        return event_class

    return remembered_resolve_by_type


def stop_at_the_longest_rule(_rasas_filter: Callable[..., Set[Text]]) -> Callable[..., Set[Text]]:
    def possible_keys_up_to_the_longest_rule(
        self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]
    ) -> Set[Text]:
        possible = set(lookup)
        for turn_index, state in enumerate(reversed(states)):
            # Rasa's _is_rule_applicable is True for every turn at or past a rule's length.
            if turn_index >= max((len(self._rule_key_to_state(key)) for key in possible), default=0):
                break
            possible = {key for key in possible if self._is_rule_applicable(key, turn_index, state)}
        return possible

    return possible_keys_up_to_the_longest_rule


PATCHES = (
    Patch(
        GraphSchema,
        "minimal_graph_schema",
        remember_minimal_schemas,
        "the nodes a graph run needs, worked out once per target instead of per message",
    ),
    Patch(
        Event,
        "resolve_by_type",
        remember_event_types,
        "the Event class of a stored event's type name, looked up once per name",
    ),
    Patch(
        RulePolicy,
        "_get_possible_keys",
        stop_at_the_longest_rule,
        "rules filtered against as many past states as the longest rule still possible has",
    ),
)
