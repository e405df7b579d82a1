"""Work Rasa 3.6 does on every message whose answer is known already (found by profiling a
FAQ turn under load; the figures are in bench/findings.md).

- Which graph nodes a prediction needs (`GraphSchema.minimal_graph_schema`): Rasa walks the
  model's graph from the target down on every NLU parse and every policy prediction,
  revisiting shared nodes once per path to them; the graph is fixed once the model is
  loaded.
- Which Event class a stored event's type name means (`Event.resolve_by_type`): Rasa lists
  every subclass of Event anew (recursively, checking each for abstractness) for every event
  it reads back from the tracker store.
(The third, which rules still match, is a policy of the project's own:
rasa_addons.policies.EarlyStoppingRulePolicy.)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text, Tuple, Type

from rasa.engine.graph import GraphSchema
from rasa.shared.core.events import Event

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
