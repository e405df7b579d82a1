"""Every change this project makes to Rasa's own code, installed by one call.

Rasa 3.6 has no hook for these, so private methods are wrapped. `install()` first checks
that the running Rasa is the release the wrappers were written and tested against, and
that every method to wrap is still there; anything else stops the server at start
instead of misbehaving later. The response generator (rasa_addons.nlg), which every Rasa
server of this project builds from endpoints.yml before its first message, calls it.
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
    why: str

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
    from rasa_addons import (
        action_calls,
        action_failures,
        handoff_wait,
        multiple_questions,
        nlu_threads,
        outages,
        repeated_work,
        typed_buttons,
    )

    return (
        *outages.PATCHES,
        action_failures.PATCH,
        action_calls.PATCH,
        handoff_wait.PATCH,
        typed_buttons.PATCH,
        multiple_questions.PATCH,
        *nlu_threads.PATCHES,
        *repeated_work.PATCHES,
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
