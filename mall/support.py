"""Human support: the hotline and the agents' hours, the one place these facts live.

Replies name them through the `{hotline}` and `{agent_hours}` template variables
(filled in by rasa_addons.nlg); the web page gets them from /config.js.
"""

from __future__ import annotations

from datetime import time
from typing import Dict

HOTLINE = "400-100-5678"
AGENTS_OPEN = time(9, 0)
AGENTS_CLOSE = time(21, 0)


def agent_hours() -> str:
    return f"{AGENTS_OPEN.hour}:{AGENTS_OPEN:%M}-{AGENTS_CLOSE.hour}:{AGENTS_CLOSE:%M}"


def template_variables() -> Dict[str, str]:
    """What every reply may mention about human support."""
    return {"hotline": HOTLINE, "agent_hours": agent_hours()}
