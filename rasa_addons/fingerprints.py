"""Rasa fingerprints a component by its class name and config, not its code: editing a
custom component would silently reuse the cached old one. Components add their source."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Union


def source_fingerprint(source: Union[type, ModuleType]) -> str:
    """Of the file a component (or a module it relies on) is defined in."""
    return hashlib.sha256(Path(inspect.getfile(source)).read_bytes()).hexdigest()
