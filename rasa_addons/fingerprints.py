"""Rasa fingerprints a component by its class name and config, not its code: editing a
custom component would silently reuse the cached old one. Components add their source."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path


def source_fingerprint(component: type) -> str:
    return hashlib.sha256(Path(inspect.getfile(component)).read_bytes()).hexdigest()
