"""Conversations written straight into the conversation store, event by event as Rasa's tracker
store saves them (one save per turn), for the tests of the recording and the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

from mall.conversations import ConversationLog
from mall.support import MALL_TIME

Event = Dict[str, Any]


def at(day: str, hour: int = 12, minute: int = 0) -> float:
    """An epoch timestamp on a mall day (UTC+8)."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=MALL_TIME).timestamp()


@dataclass
class Conversation:
    """One conversation; `now` moves a few seconds per event."""

    log: ConversationLog
    sender: str
    now: float
    seq: int = 0
    pending: List[Event] = field(default_factory=list)

    def _event(self, kind: str, **data: Any) -> Conversation:
        self.now += 2
        self.pending.append({"event": kind, "timestamp": self.now, **data})
        return self

    def save(self) -> List[Event]:
        """Store what was added since the last save, as one turn."""
        saved, self.pending = self.pending, []
        self.log.append(self.sender, self.seq, saved)
        self.seq += len(saved)
        return saved

    def new_session(self, at_time: Optional[float] = None) -> Conversation:
        if at_time is not None:
            self.now = at_time
        self._event("action", name="action_session_start")
        self._event("session_started")
        return self._event("action", name="action_listen")

    def user(self, text: str, intent: str = "greet", metadata: Optional[Dict[str, Any]] = None) -> Conversation:
        return self._event("user", text=text, parse_data={"intent": {"name": intent}}, metadata=metadata or {})

    def bot(self, response: str, text: str = "…") -> Conversation:
        self._event("action", name=response)
        return self._event("bot", text=text, metadata={"utter_action": response})

    def said_by_action(self, action: str, *responses: str) -> Conversation:
        self._event("action", name=action)
        for response in responses:
            self._event("bot", text="…", metadata={"utter_action": response})
        return self

    def action(self, name: str) -> Conversation:
        return self._event("action", name=name)

    def slot(self, name: str, value: Any) -> Conversation:
        return self._event("slot", name=name, value=value)

    def restart(self) -> Conversation:
        """A typed /restart: Rasa's restart, then a new session."""
        self.user("/restart", "restart").action("action_restart")._event("restart")
        return self.new_session()

    def listen(self) -> Conversation:
        return self._event("action", name="action_listen")

    # -- whole turns, as the assistant plays them -------------------------------------------

    def question(self, text: str, answer: str = "utter_installment_fees") -> Conversation:
        self.user(text, "ask_installment_fees").bot(answer).listen()
        self.save()
        return self

    def not_understood(self, text: str) -> Conversation:
        self.user(text, "nlu_fallback").said_by_action("action_not_understood", "utter_did_you_mean").listen()
        self.save()
        return self

    def handoff(self, text: str, reason: Optional[str] = None, ticket: str = "HT0001") -> Conversation:
        self.user(text, "request_human")
        if reason:
            self.slot("handoff_reason", reason)
        self.said_by_action("action_handoff_to_human", "utter_handoff_ticket_created")
        self.slot("handoff_ticket_id", ticket).slot("handoff_reason", None).listen()
        self.save()
        return self

    def start_change(self, text: str = "我想改支付方式") -> Conversation:
        self.user(text, "change_payment_method").slot("order_goal", "change_payment")
        self.action("order_verification_form").bot("utter_ask_order_id").listen()
        self.save()
        return self

    def verify(self, order_id: str = "5201121000000001") -> Conversation:
        self.user(f"{order_id} 1234", "inform").slot("verified_order_id", order_id)
        self.said_by_action("action_lookup_order", "utter_order_unpaid_change").slot(
            "lookup_outcome", "change_by_reorder"
        )
        self.listen()
        self.save()
        return self

    def confirm_and_reorder(self) -> Conversation:
        self.user("确认", "affirm").slot("change_confirmed", True)
        self.said_by_action("action_cancel_and_reorder", "utter_reorder_done").listen()
        self.save()
        return self

    def decline(self) -> Conversation:
        self.user("算了", "deny").said_by_action("action_discard_change_request", "utter_change_discarded").listen()
        self.save()
        return self

    def rate(self, score: int, comment: Optional[str] = None) -> Conversation:
        self.said_by_action("action_ask_rating", "utter_ask_rating").slot("rating_asked", True).listen()
        self.save()
        self.user(f'/rate{{"rating":{score}}}', "rate").said_by_action("action_record_rating", "utter_rating_thanks")
        self.slot("rating", score).listen()
        self.save()
        if comment:
            self.user(comment, "nlu_fallback").bot("utter_thank_for_comment").listen()
            self.save()
        return self
