"""What happened in each conversation session, recorded as the conversation is stored.

When the Rasa server's tracker store saves a turn (mall.conversations.ConversationLog.append),
the new events are folded into one summary row per session, `conversation_sessions`, in the
same transaction as the events: a save that fails or is repeated (its events' sequence
numbers are taken) records nothing, so a session is counted once however many Rasa
instances share the store. mall.insights computes the figures from these rows; what each
column means is said beside it, and the figures' definitions (mall.insights.DEFINITIONS) are
written in terms of them.

A session begins with Rasa's `session_started` event (a new conversation, 30 idle minutes,
or a typed /restart). Events are read as Rasa's `Event.as_dict()` gives them: the response a
bot message comes from is its metadata's `utter_action`.
"""

from __future__ import annotations

from copy import copy
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall import rollup
from mall.identity import METADATA_KEY
from mall.language import DEFAULT_LANGUAGE, message_language, metadata_language
from mall.outcomes import Goal, HandoffReason
from mall.ratings import is_rating
from mall.support import MALL_TIME

Event = Dict[str, Any]

# -- what the events say -----------------------------------------------------------------

# Responses that answer the customer's question: the installment topics (howto, options,
# fees, review: every `utter_installment_…` response), quotes (issue 20: what a plan costs for a
# price or an order), repaying, and an order's status shown after the customer proved it is theirs.
ANSWER_TOPIC = "installment"
ANSWERS = frozenset(
    [
        "utter_quote_price",
        "utter_quote_order",
        "utter_quote_in_full",
        "utter_repayment",
        "utter_order_status",
        "utter_order_status_unpaid",
        "utter_order_closed",
        "utter_order_replaced",
    ]
)
# A finished task: the order was cancelled and placed again with the new method (or the
# repeated yes of one that was).
REORDERED = frozenset(["utter_reorder_done", "utter_reorder_already_done"])
# A change the order does not allow, explained (cancelled, refunded, replaced already).
CHANGE_NOT_POSSIBLE = frozenset(["utter_order_closed", "utter_order_replaced"])
NOT_UNDERSTOOD_ACTIONS = frozenset(["action_not_understood", "action_default_fallback"])
CONFIRMED_ACTION = "action_cancel_and_reorder"  # run only once the change form has its yes
DECLINED_ACTION = "action_discard_change_request"  # the customer said no inside the change
COMMENT_THANKS = "utter_thank_for_comment"  # the reply to a comment after a rating
TICKET_SLOT = "handoff_ticket_id"
REASON_SLOT = "handoff_reason"
GOAL_SLOT = "order_goal"
VERIFIED_SLOT = "verified_order_id"
RATING_SLOT = "rating"
RATING_ASKED_SLOT = "rating_asked"
# A contained session is not resolved when its customer opens a ticket this soon after it.
FOLLOW_UP_WINDOW = timedelta(days=7)
COMMENT_MAX_CHARS = 1000


def is_answer(response: Optional[str]) -> bool:
    return bool(response) and (response in ANSWERS or str(response).startswith(f"utter_{ANSWER_TOPIC}_"))


def mall_day(timestamp: float) -> str:
    """The mall's calendar day (China Standard Time) of an epoch timestamp: figures by day and
    the command's --from/--to are in mall days."""
    return datetime.fromtimestamp(timestamp, MALL_TIME).date().isoformat()


# -- the table -----------------------------------------------------------------------------

METADATA = sa.MetaData()
_FLAG = {"nullable": False, "server_default": "0"}
sessions_table = sa.Table(
    "conversation_sessions",
    METADATA,
    sa.Column("sender_id", sa.Text, primary_key=True),
    sa.Column("start_seq", sa.Integer, primary_key=True, autoincrement=False),  # its session_started event
    sa.Column("started_at", sa.Float, nullable=False),  # epoch seconds
    sa.Column("day", sa.Text, nullable=False),  # mall_day(started_at)
    sa.Column("last_at", sa.Float, nullable=False),  # its latest event
    # Whose session: "customer:<id>" when signed in (checked by the channel), else
    # "conversation:<sender_id>" (a browser keeps its conversation).
    sa.Column("customer", sa.Text, nullable=False),
    # The first customer message with words in it decides (mall.language); until one does,
    # the page's language, else Chinese.
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("language_from_words", sa.Integer, **_FLAG),
    sa.Column("messages", sa.Integer, **_FLAG),  # customer messages
    sa.Column("fallbacks", sa.Integer, **_FLAG),  # messages answered by NOT_UNDERSTOOD_ACTIONS, once each
    sa.Column("answered", sa.Integer, **_FLAG),  # an answer response (ANSWERS) was given
    sa.Column("task_done", sa.Integer, **_FLAG),  # an order was changed (REORDERED)
    sa.Column("ticket_id", sa.Text),  # the first handoff ticket the session got
    sa.Column("handoff_reason", sa.Text),  # mall.outcomes.HandoffReason of that ticket
    sa.Column("handed_off_at", sa.Float),
    sa.Column("pending_reason", sa.Text),  # the handoff_reason slot, for the next ticket
    # The change-payment funnel (each only after change_started).
    sa.Column("change_started", sa.Integer, **_FLAG),  # order_goal set to change_payment
    sa.Column("change_verified", sa.Integer, **_FLAG),  # then an order proved the customer's
    sa.Column("change_confirmed", sa.Integer, **_FLAG),  # then the yes (CONFIRMED_ACTION ran)
    sa.Column("change_reordered", sa.Integer, **_FLAG),  # then the order was placed again
    sa.Column("change_declined", sa.Integer, **_FLAG),  # or the customer said no (DECLINED_ACTION)
    sa.Column("change_not_possible", sa.Integer, **_FLAG),  # or the order allows no change
    sa.Column("change_handed_off", sa.Integer, **_FLAG),  # or a paid order went to an agent
    sa.Column("rating_asked", sa.Integer, **_FLAG),
    sa.Column("rating", sa.Integer),  # 1-5, the customer's latest in the session
    sa.Column("rating_comment", sa.Text),  # what they wrote after rating (phones masked)
    # A ticket of the same customer was opened within FOLLOW_UP_WINDOW after this session
    # started (kept up to date by refresh_follow_ups).
    sa.Column("ticket_within_7_days", sa.Integer, **_FLAG),
    sa.Index("conversation_sessions_by_day", "day", "language"),
    sa.Index("conversation_sessions_by_customer", "customer", "started_at"),
    sa.Index("conversation_sessions_by_last_event", "last_at"),  # the sessions still going
)
_COLUMNS = sessions_table.c


@dataclass
class Session:
    """One row of `conversation_sessions` (see the columns above)."""

    sender_id: str
    start_seq: int
    started_at: float
    day: str
    last_at: float
    customer: str
    language: str = DEFAULT_LANGUAGE
    language_from_words: int = 0
    messages: int = 0
    fallbacks: int = 0
    answered: int = 0
    task_done: int = 0
    ticket_id: Optional[str] = None
    handoff_reason: Optional[str] = None
    handed_off_at: Optional[float] = None
    pending_reason: Optional[str] = None
    change_started: int = 0
    change_verified: int = 0
    change_confirmed: int = 0
    change_reordered: int = 0
    change_declined: int = 0
    change_not_possible: int = 0
    change_handed_off: int = 0
    rating_asked: int = 0
    rating: Optional[int] = None
    rating_comment: Optional[str] = None
    ticket_within_7_days: int = 0

    @classmethod
    def starting(cls, sender_id: str, seq: int, at: float) -> Session:
        return cls(sender_id, seq, at, mall_day(at), at, f"conversation:{sender_id}")

    @classmethod
    def from_row(cls, row: Dict[str, Any]) -> Session:
        return cls(**{field.name: row[field.name] for field in fields(cls)})


_LATEST = (
    sa.select(sessions_table)
    .where(_COLUMNS.sender_id == sa.bindparam("sender_id"))
    .order_by(_COLUMNS.start_seq.desc())
    .limit(1)
)

# -- folding events into a session ---------------------------------------------------------


@dataclass
class Recorded:
    """What a stored turn added: messages not understood (their session's language) and
    tickets opened (their reasons), for the servers' metrics (mall.metrics)."""

    fallbacks: List[str] = field(default_factory=list)
    handoffs: List[str] = field(default_factory=list)


class _Fold:
    """The sessions a batch of new events touches, and what the batch said last."""

    def __init__(self, current: Optional[Session]) -> None:
        self.current = current
        self.touched: List[Session] = [current] if current else []
        self.last_text: Optional[str] = None
        self.missed_last_message = False  # a not-understood action already ran for it
        self.recorded = Recorded()

    def add(self, sender_id: str, seq: int, event: Event) -> None:
        kind = event.get("event")
        at = float(event.get("timestamp") or 0.0)
        if kind == "session_started" or (self.current is None and kind == "user"):
            self.current = Session.starting(sender_id, seq, at)
            self.touched.append(self.current)
        session = self.current
        if session is None:  # action_session_start, just before session_started
            return
        session.last_at = max(session.last_at, at)
        if kind == "user":
            self._customer_said(session, event)
        elif kind == "bot":
            self._assistant_said(session, (event.get("metadata") or {}).get("utter_action"))
        elif kind == "action":
            self._action_ran(session, event.get("name"))
        elif kind == "slot":
            self._slot_set(session, event.get("name"), event.get("value"), at)

    def _customer_said(self, session: Session, event: Event) -> None:
        session.messages += 1
        self.missed_last_message = False
        text = event.get("text") or ""
        self.last_text = text
        metadata = event.get("metadata") or {}
        checked = metadata.get(METADATA_KEY)
        if isinstance(checked, dict) and checked.get("customer_id"):
            session.customer = f"customer:{checked['customer_id']}"
        if not session.language_from_words:
            spoken = message_language(text)
            if spoken:
                session.language, session.language_from_words = spoken, 1
            else:
                session.language = metadata_language(metadata) or session.language

    def _assistant_said(self, session: Session, response: Optional[str]) -> None:
        if is_answer(response):
            session.answered = 1
        if response in REORDERED:
            session.task_done = 1
            session.change_reordered = session.change_started
        if response in CHANGE_NOT_POSSIBLE:
            session.change_not_possible = session.change_started
        if response == COMMENT_THANKS and session.rating is not None and self.last_text:
            session.rating_comment = self.last_text[:COMMENT_MAX_CHARS]

    def _slot_set(self, session: Session, name: Optional[str], value: Any, at: float) -> None:
        if name == GOAL_SLOT and value == Goal.CHANGE_PAYMENT.value:
            session.change_started = 1
        elif name == VERIFIED_SLOT and value:
            session.change_verified = session.change_started
        elif name == REASON_SLOT:
            session.pending_reason = value
        elif name == TICKET_SLOT and value and session.ticket_id is None:
            session.ticket_id = str(value)
            session.handed_off_at = at
            session.handoff_reason = session.pending_reason or HandoffReason.CUSTOMER_REQUEST.value
            if session.handoff_reason == HandoffReason.PAID_ORDER.value:
                session.change_handed_off = session.change_started
            self.recorded.handoffs.append(session.handoff_reason)
        elif name == RATING_ASKED_SLOT and value:
            session.rating_asked = 1
        elif name == RATING_SLOT and is_rating(value):
            session.rating = int(value)

    def _action_ran(self, session: Session, name: Optional[str]) -> None:
        if name in NOT_UNDERSTOOD_ACTIONS and not self.missed_last_message:  # Rasa's fallback can run twice
            self.missed_last_message = True
            session.fallbacks += 1
            self.recorded.fallbacks.append(session.language)
        elif name == CONFIRMED_ACTION:
            session.change_confirmed = session.change_started
        elif name == DECLINED_ACTION:
            session.change_declined = session.change_started


# -- writing -------------------------------------------------------------------------------


def record(connection: Connection, sender_id: str, first_seq: int, events: List[Event]) -> Recorded:
    """Fold a turn's new events (sequence numbers from `first_seq` on) into the sessions they
    belong to, and their sums (mall.rollup), on the transaction that stores the events."""
    row = connection.execute(_LATEST, {"sender_id": sender_id}).mappings().first()
    stored = Session.from_row(dict(row)) if row else None
    fold = _Fold(copy(stored) if stored else None)
    for offset, event in enumerate(events):
        fold.add(sender_id, first_seq + offset, event)
    for session in fold.touched:
        was = stored if stored and session.start_seq == stored.start_seq else None
        save(connection, was, session)
    if fold.recorded.handoffs and fold.current is not None:
        refresh_follow_ups(connection, fold.current.customer)
    return fold.recorded


# Built once: building a statement costs more than running it (mall.conversations).
_KEY = ("sender_id", "start_seq")
_UPDATE = (
    sessions_table.update()
    .where(_COLUMNS.sender_id == sa.bindparam("key_sender_id"), _COLUMNS.start_seq == sa.bindparam("key_start_seq"))
    .values({name: sa.bindparam(name) for name in (field.name for field in fields(Session)) if name not in _KEY})
)
_INSERT = sessions_table.insert()


def save(connection: Connection, was: Optional[Session], session: Session) -> None:
    """Store a session's row (`was`: as it was stored, None if new) and move its sums."""
    values = asdict(session)
    if was is None:
        connection.execute(_INSERT, values)
    else:
        connection.execute(_UPDATE, {**values, "key_sender_id": session.sender_id, "key_start_seq": session.start_seq})
    rollup.move(connection, was, session)


_OF_CUSTOMER = sa.select(sessions_table).where(_COLUMNS.customer == sa.bindparam("customer"))


def refresh_follow_ups(connection: Connection, customer: str) -> None:
    """ticket_within_7_days for every session of `customer`: was a ticket of theirs opened
    within FOLLOW_UP_WINDOW after the session started (in a later session)?"""
    rows = connection.execute(_OF_CUSTOMER, {"customer": customer}).mappings()
    stored = [Session.from_row(dict(row)) for row in rows]
    tickets = [session.handed_off_at for session in stored if session.handed_off_at is not None]
    window = FOLLOW_UP_WINDOW.total_seconds()
    for session in stored:
        followed = int(any(session.started_at < at <= session.started_at + window for at in tickets))
        if followed != session.ticket_within_7_days:
            changed = copy(session)
            changed.ticket_within_7_days = followed
            save(connection, session, changed)


def shift(connection: Connection, session: Session, seconds: float) -> None:
    """Move a recorded session in time (mall.redate): its start, day, events and ticket."""
    moved = copy(session)
    moved.started_at += seconds
    moved.day = mall_day(moved.started_at)
    moved.last_at += seconds
    moved.handed_off_at = session.handed_off_at + seconds if session.handed_off_at is not None else None
    save(connection, session, moved)


# -- reading -------------------------------------------------------------------------------


def latest(connection: Connection, sender_id: str) -> Optional[Session]:
    """The conversation's current (latest) session, as recorded so far."""
    row = connection.execute(_LATEST, {"sender_id": sender_id}).mappings().first()
    return Session.from_row(dict(row)) if row else None


def active_since(connection: Connection, moment: float) -> List[Session]:
    """Sessions with an event at or after `moment` (epoch seconds): those still going."""
    query = sa.select(sessions_table).where(_COLUMNS.last_at >= moment)
    return [Session.from_row(dict(row)) for row in connection.execute(query).mappings()]


def every_session(connection: Connection) -> Iterator[Session]:
    """All recorded sessions, streamed."""
    query = sa.select(sessions_table).execution_options(stream_results=True, yield_per=10_000)
    for row in connection.execute(query).mappings():
        yield Session.from_row(dict(row))


def sessions_of(connection: Connection, sender_id: str) -> List[Session]:
    query = sa.select(sessions_table).where(_COLUMNS.sender_id == sender_id).order_by(_COLUMNS.start_seq)
    return [Session.from_row(dict(row)) for row in connection.execute(query).mappings()]
