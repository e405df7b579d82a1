"""What the actions share: the order store, the conversation log, the customer's language.

Opened on first use, once per action server process. A new orders database gets the demo
orders when the action server first opens it (product spec, section 4).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Union

from rasa_sdk import Tracker

from mall import demo, settings
from mall.conversations import ConversationLog
from mall.language import conversation_language
from mall.store import OrderStore


@cache
def _open_store(location: Union[str, Path]) -> OrderStore:
    store = OrderStore(location)
    demo.init(store)
    return store


def order_store() -> OrderStore:
    """The store for DATABASE_URL or ORDERS_DB (mall.settings), opened once."""
    return _open_store(settings.orders_database())


@cache
def _open_log(location: Union[str, Path]) -> ConversationLog:
    return ConversationLog(location)


def conversation_log() -> ConversationLog:
    """The conversations the Rasa server stored (DATABASE_URL or CONVERSATIONS_DB), read-only here."""
    return _open_log(settings.conversations_database())


def tracker_language(tracker: Tracker) -> str:
    """mall.language.conversation_language for a rasa_sdk tracker."""
    return conversation_language(
        (
            (event.get("text"), event.get("metadata"))
            for event in reversed(tracker.events)
            if event.get("event") == "user"
        ),
        tracker.get_slot("language"),
    )
