"""Human support: the hotline and the agents' hours, the one place these facts live.

Replies name them through the `{hotline}` and `{agent_hours}` template variables
(filled in by rasa_addons.nlg); the web page gets them from /config.js. The hours are the
mall's local time (China Standard Time, UTC+8, no daylight saving); AGENT_HOURS
(mall.settings) can set others.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Dict, Optional, Tuple

from mall import settings

HOTLINE = "400-100-5678"
# What every failure the customer meets is answered with (the assistant's own, the action
# server's, the stores'): sorry, say it again in a moment, or call the hotline.
APOLOGY_RESPONSE = "utter_service_unavailable"
# The slot that says a customer is waiting for (or talking with) a human agent in the chat:
# set by the handoff, cleared when the ticket ends. While it is set the assistant only
# acknowledges (rasa_addons.policies.HandoffWaitPolicy).
WAITING_FOR_AGENT_SLOT = "waiting_for_agent"
AGENTS_OPEN = time(9, 0)
AGENTS_CLOSE = time(21, 0)
MALL_TIME = timezone(timedelta(hours=8), "CST")
END_OF_DAY = time.max  # written 24:00


def _parse(clock: str) -> time:
    hours, _, minutes = clock.strip().partition(":")
    if int(hours) == 24 and int(minutes or 0) == 0:
        return END_OF_DAY
    return time(int(hours), int(minutes or 0))


def opening_hours() -> Tuple[time, time]:
    override = settings.agent_hours()
    if override:
        opens, _, closes = override.partition("-")
        return _parse(opens), _parse(closes)
    return AGENTS_OPEN, AGENTS_CLOSE


def _written(moment: time) -> str:
    return "24:00" if moment == END_OF_DAY else f"{moment.hour}:{moment:%M}"


def agent_hours() -> str:
    opens, closes = opening_hours()
    return f"{_written(opens)}-{_written(closes)}"


def agents_available(now: Optional[datetime] = None) -> bool:
    """Are agents at work now (mall time)?"""
    local = (now or datetime.now(timezone.utc)).astimezone(MALL_TIME).time()
    opens, closes = opening_hours()
    return opens <= local < closes if opens <= closes else (local >= opens or local < closes)


def template_variables() -> Dict[str, str]:
    """What every reply may mention about human support."""
    return {"hotline": HOTLINE, "agent_hours": agent_hours()}
