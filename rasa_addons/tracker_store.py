"""Conversations in SQLite or PostgreSQL (mall.conversations), handed to the dialogue engine
as a window of bounded size.

Rasa replays every event of a conversation into a tracker on each message, and its
policies featurize the whole history again for every prediction, so a turn costs more the
longer the conversation (with Rasa's SQL tracker store turn 50 took twice as long as turn
1). This store keeps every event (append-only, nothing is lost), but `retrieve` returns
the state at the start of the recent window (slot values, active form, pause) as events,
followed by the events of the last turns: like a session start that carries everything
over. The dialogue needs no more: the policies look back at most a few turns.
`retrieve_full_tracker` (Rasa's HTTP API, used by the agent console) returns everything.

The store keeps nothing between messages but the database: with DATABASE_URL set, every
Rasa instance reads and writes the same conversations, and the lock store
(rasa_addons.lock_store) keeps two instances from serving one conversation at once.

A store that cannot open fails the server's start, loudly: Rasa would replace a custom
tracker store that raises AttributeError or ImportError by an in-memory one with a warning
(`_load_from_module_name_in_endpoint_config`), and at run time it wraps every store in a
FailSafeTrackerStore that turns a failed read into a new, empty conversation and a failed
write into one kept in memory; `unwrapped` (installed by rasa_addons.patches) keeps that
wrapper away from this store, so an outage reaches the customer as an apology instead
(rasa_addons.door).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from mall import settings
from mall.conversations import ConversationLog, NewWindow
from mall.privacy import mask_phones_in_text
from rasa_addons.nlg import LANGUAGE_CONDITION, dialogue_language

logger = logging.getLogger(__name__)

WINDOW_MAX_EVENTS = 24  # compact the window once it holds more events than this ...
WINDOW_KEEP_TURNS = 2  # ... keeping this many customer messages (no rule spans more)


@dataclass
class _Window:
    """Where a retrieved tracker's events come from: `prefix` state events, then the stored
    events from `first_seq` on, `loaded` of them."""

    first_seq: int
    prefix: int
    loaded: int


def state_events(tracker: DialogueStateTracker) -> List[Event]:
    """Events that recreate the tracker's state: slot values, active form, pause."""
    events: List[Event] = [
        SlotSet(name, slot.value) for name, slot in tracker.slots.items() if slot.value != slot.initial_value
    ]
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name))
    if tracker.is_paused():
        events.append(ConversationPaused())
    return events


def stored(event: Event) -> Dict[str, Any]:
    """An event as it is stored: a mobile number the customer typed is kept masked (the
    phone tail entity, all the assistant uses, is already in the parse data)."""
    data = event.as_dict()
    if data.get("event") == "user":
        if data.get("text"):
            data["text"] = mask_phones_in_text(data["text"])
        parse_data = data.get("parse_data") or {}
        if parse_data.get("text"):
            data["parse_data"] = {**parse_data, "text": mask_phones_in_text(parse_data["text"])}
    return data


def compaction_point(events: List[Event], start: int, keep_turns: int) -> Optional[int]:
    """Index of the action_listen before the last `keep_turns` customer messages."""
    seen = 0
    for index in range(len(events) - 1, start, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
        elif (
            seen >= keep_turns
            and isinstance(events[index], ActionExecuted)
            and events[index].action_name == ACTION_LISTEN_NAME
        ):
            return index
    return None


class TrackerStoreUnavailable(RuntimeError):
    """The conversation store could not be opened (a RuntimeError: Rasa does not swallow it)."""


class WindowedTrackerStore(TrackerStore, SerializedTrackerAsText):
    """`tracker_store: {type: rasa_addons.tracker_store.WindowedTrackerStore}`; the database is
    mall.settings.conversations_database() (DATABASE_URL, else the CONVERSATIONS_DB file)
    unless `db` names another."""

    _WINDOW = "_window_of_stored_events"

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        db: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        location = db or settings.conversations_database()
        try:
            self._log = ConversationLog(location)
        except Exception as error:
            logger.critical("The conversation store cannot be opened: %s", error)
            raise TrackerStoreUnavailable(f"the conversation store cannot be opened: {error}") from error

    # -- reading ---------------------------------------------------------------------------

    # The database is read and written in a worker thread: on PostgreSQL a message waits
    # for several round trips and a commit (milliseconds), during which the event loop
    # serves the other customers' messages. In the loop, an instance answered 13-19
    # messages/s at 16 conversations, its process half idle.

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(self._retrieve, sender_id)

    def _retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        found = self._log.window(sender_id)
        if found is None:
            return None
        stored, events = found
        return self._tracker(sender_id, stored.window_state, events, stored.window_start, stored.event_count)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        stored = await asyncio.to_thread(self._log.events, conversation_id)
        if not stored:
            return None
        return self._tracker(conversation_id, [], stored, 0, len(stored))

    async def latest_buttons(self, sender_id: Text) -> List[Dict[Text, Any]]:
        """The buttons of the assistant's latest message in the conversation (none: [])."""
        latest = await asyncio.to_thread(self._log.latest_bot_message, sender_id)
        return list(((latest or {}).get("data") or {}).get("buttons") or [])

    async def keys(self) -> Iterable[Text]:
        return await asyncio.to_thread(self._log.senders)

    def _tracker(
        self, sender_id: Text, prefix: List[Dict], stored: List[Dict], first_seq: int, count: int
    ) -> DialogueStateTracker:
        tracker = DialogueStateTracker.from_dict(sender_id, prefix + stored, self.domain.slots)
        setattr(tracker, self._WINDOW, _Window(first_seq, len(prefix), count - first_seq))
        return tracker

    # -- writing ---------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await asyncio.to_thread(self._save, tracker)

    def _save(self, tracker: DialogueStateTracker) -> None:
        # No lock here: one message of a conversation is served at a time (the lock
        # store), and a second writer of the same events fails on their sequence numbers.
        events = list(tracker.events)
        window = getattr(tracker, self._WINDOW, None) or self._assume_full_history(tracker.sender_id)
        new = events[window.prefix + window.loaded :]
        if not new:
            return
        first_new = window.first_seq + window.loaded
        self._log.append(
            tracker.sender_id,
            first_new,
            [stored(event) for event in new],
            self._compacted(tracker.sender_id, events, window, len(new)),
        )
        window.loaded += len(new)
        setattr(tracker, self._WINDOW, window)

    def _assume_full_history(self, sender_id: Text) -> _Window:
        """A tracker that did not come from `retrieve` (a new conversation, or one built
        by Rasa from all its events) holds the whole history."""
        stored = self._log.conversation(sender_id)
        return _Window(0, 0, stored.event_count if stored else 0)

    def _compacted(self, sender_id: Text, events: List[Event], window: _Window, added: int) -> Optional[NewWindow]:
        """Where the window starts now, if it grew too long."""
        if window.loaded + added <= WINDOW_MAX_EVENTS:
            return None
        point = compaction_point(events, window.prefix, WINDOW_KEEP_TURNS)
        if point is None:
            return None
        state_at_point = DialogueStateTracker.from_events(sender_id, events[:point], self.domain.slots)
        # The messages before the point leave the window: remember their language.
        state_at_point.update(SlotSet(LANGUAGE_CONDITION, dialogue_language(state_at_point)))
        return NewWindow(
            window.first_seq + point - window.prefix, [event.as_dict() for event in state_events(state_at_point)]
        )


CreateTrackerStore = Callable[[Optional[TrackerStore], Domain], TrackerStore]


def unwrapped(create_tracker_store: CreateTrackerStore) -> CreateTrackerStore:
    """Wraps Agent._create_tracker_store (a staticmethod: rasa_addons.patches keeps it one):
    this project's store is used as it is; any other gets Rasa's FailSafeTrackerStore."""

    def create_tracker_store_failing_loudly(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
        if isinstance(store, WindowedTrackerStore):
            store.domain = domain
            return store
        return create_tracker_store(store, domain)

    return create_tracker_store_failing_loudly
