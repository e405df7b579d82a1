"""Every change this project makes to Rasa's own code, in one place.

Everything else extends Rasa through its public doors: the channels' door (limits, NLU in
threads, typed buttons, several questions, the apology when a store is down), custom
components and policies named in config.yml, the tracker store, the lock store and the NLG
named in endpoints.yml. What follows has no door; each patch says why beside it.

`install()` first checks that the running Rasa is the release the wrappers were written and
tested against, and that every method to wrap is still there; anything else stops the
server at start instead of misbehaving later. rasa_addons.startup calls it when a Rasa
server starts. Importing a module changes nothing.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Tuple

import rasa

SUPPORTED_RASA_VERSION = "3.6.21"
_MARK = "_mall_patch"


class UnsupportedRasa(RuntimeError):
    pass


@dataclass(frozen=True)
class Patch:
    owner: type
    attribute: str
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]]  # the original -> its replacement
    why: str  # what it does, and why no public door does it

    def is_installed(self) -> bool:
        return getattr(getattr(self.owner, self.attribute, None), _MARK, False)

    def install(self) -> None:
        if self.is_installed():
            return
        static = isinstance(inspect.getattr_static(self.owner, self.attribute), staticmethod)
        original = getattr(self.owner, self.attribute)
        replacement = self.wrap(original)
        setattr(replacement, _MARK, True)
        replacement.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(self.owner, self.attribute, staticmethod(replacement) if static else replacement)


def all_patches() -> Tuple[Patch, ...]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor
    from rasa.engine.graph import GraphSchema
    from rasa.shared.core.events import Event

    from rasa_addons import action_calls, action_failures, repeated_work, tracker_store

    return (
        Patch(
            Agent,
            "_create_tracker_store",
            tracker_store.unwrapped,
            "the project's store is used as it is: Agent wraps every tracker store in a FailSafeTrackerStore, "
            "which turns an outage into a new, empty conversation",
        ),
        # The only MessageProcessor wrap.
        Patch(
            MessageProcessor,
            "_run_action",
            action_failures.apologise_on_failure,
            "the apology instead of silence when the action server fails: Rasa logs a failed remote action "
            "and goes on, and nothing public sees the failure",
        ),
        Patch(
            RemoteAction,
            "_validate_action_result",
            action_calls.compiled_validation,
            "action server responses validated with a schema compiled once: RemoteAction.run checks the "
            "schema itself against the metaschema on every call",
        ),
        Patch(
            GraphSchema,
            "minimal_graph_schema",
            repeated_work.remember_minimal_schemas,
            "the nodes a graph run needs, worked out once per target: Rasa's graph runner prunes the "
            "model's graph again on every parse and prediction",
        ),
        Patch(
            Event,
            "resolve_by_type",
            repeated_work.remember_event_types,
            "the Event class of a type name, looked up once: every event read from a store or an action "
            "response lists all Event subclasses again",
        ),
    )


def check_supported(patches: Tuple[Patch, ...]) -> None:
    if rasa.__version__ != SUPPORTED_RASA_VERSION:
        raise UnsupportedRasa(
            f"rasa_addons.patches was written for Rasa {SUPPORTED_RASA_VERSION}, this is {rasa.__version__}: "
            "check each patch against the new release before changing SUPPORTED_RASA_VERSION"
        )
    for patch in patches:
        if not callable(getattr(patch.owner, patch.attribute, None)):
            raise UnsupportedRasa(f"{patch.owner.__qualname__}.{patch.attribute} is gone: {patch.why}")


def install() -> None:
    """Check, then install every patch (once per process)."""
    patches = all_patches()
    check_supported(patches)
    for patch in patches:
        patch.install()
