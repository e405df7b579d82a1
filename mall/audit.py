"""The helpdesk's audit trail: every agent action (claim, reply, note, transfer, close,
canned-reply edit, agent change, a missed message labelled in the review), and what the
system and customers did to tickets, with who and when. Supervisors read it in the console;
a ticket's part of it is the "who did what" of its history.

A change and its audit row are written in the same transaction (the callers' own), so the
trail never misses a change nor records one that did not happen. Phone numbers are masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Dict, List, Mapping, Optional

import sqlalchemy as sa

from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import helpdesk_audit
from mall.privacy import mask_phones_in_text

# Who else than an agent acts on tickets and accounts.
SYSTEM = "system"  # automatic assignment, idle closing
CUSTOMER = "customer"  # opening a ticket, cancelling it
COMMAND_LINE = "command-line"  # python -m mall.agents


class AuditAction(str, Enum):
    OPEN = "open"
    ASSIGN = "assign"  # automatic: a new ticket, or the queue to an agent who became free
    CLAIM = "claim"
    TRANSFER = "transfer"  # by the ticket's agent
    REASSIGN = "reassign"  # by a supervisor
    REPLY = "reply"
    NOTE = "note"
    CLOSE = "close"
    IDLE_CLOSE = "idle_close"
    CANCEL = "cancel"
    CANNED_SAVE = "canned_save"
    CANNED_DELETE = "canned_delete"
    AGENT_ADD = "agent_add"
    AGENT_DISABLE = "agent_disable"
    AGENT_ENABLE = "agent_enable"
    AGENT_RESET = "agent_reset"
    LABEL = "label"  # a missed message given its intent in the review (subject: the intent)
    UNLABEL = "unlabel"


# What the console calls each action (served through /config.js).
AUDIT_LABELS: Dict[str, Dict[str, str]] = {
    AuditAction.OPEN.value: {"zh": "创建工单", "en": "opened"},
    AuditAction.ASSIGN.value: {"zh": "自动分配", "en": "assigned"},
    AuditAction.CLAIM.value: {"zh": "领取", "en": "claimed"},
    AuditAction.TRANSFER.value: {"zh": "转交", "en": "transferred"},
    AuditAction.REASSIGN.value: {"zh": "主管改派", "en": "reassigned"},
    AuditAction.REPLY.value: {"zh": "回复", "en": "replied"},
    AuditAction.NOTE.value: {"zh": "内部备注", "en": "note"},
    AuditAction.CLOSE.value: {"zh": "结束", "en": "closed"},
    AuditAction.IDLE_CLOSE.value: {"zh": "超时结束", "en": "closed when idle"},
    AuditAction.CANCEL.value: {"zh": "客户取消", "en": "cancelled by the customer"},
    AuditAction.CANNED_SAVE.value: {"zh": "保存快捷回复", "en": "saved a canned reply"},
    AuditAction.CANNED_DELETE.value: {"zh": "删除快捷回复", "en": "deleted a canned reply"},
    AuditAction.AGENT_ADD.value: {"zh": "添加客服", "en": "added an agent"},
    AuditAction.AGENT_DISABLE.value: {"zh": "停用客服", "en": "disabled an agent"},
    AuditAction.AGENT_ENABLE.value: {"zh": "启用客服", "en": "enabled an agent"},
    AuditAction.AGENT_RESET.value: {"zh": "重置密码", "en": "reset a password"},
    AuditAction.LABEL.value: {"zh": "标注未识别消息", "en": "labelled a missed message"},
    AuditAction.UNLABEL.value: {"zh": "撤销标注", "en": "undid a label"},
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    ticket_id: Optional[str]
    subject: Optional[str]
    detail: Optional[str]

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> AuditEntry:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})  # type: ignore[arg-type]


_NEWEST_FIRST = sa.select(helpdesk_audit).order_by(helpdesk_audit.c.id.desc())


class HelpdeskAudit:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def record(
        self,
        actor: str,
        action: AuditAction,
        ticket_id: Optional[str] = None,
        subject: Optional[str] = None,
        detail: Optional[str] = None,
    ) -> None:
        """On the caller's open transaction, if there is one (mall.db)."""
        self._db.execute(
            helpdesk_audit.insert().values(
                at=iso(self._clock()),
                actor=actor,
                action=action.value,
                ticket_id=ticket_id,
                subject=subject,
                detail=mask_phones_in_text(detail) if detail else None,
            )
        )

    def for_ticket(self, ticket_id: str) -> List[AuditEntry]:
        """Oldest first."""
        query = sa.select(helpdesk_audit).where(helpdesk_audit.c.ticket_id == ticket_id).order_by(helpdesk_audit.c.id)
        return [AuditEntry.from_row(row) for row in self._db.rows(query)]

    def recent(self, limit: int = 200, actor: Optional[str] = None) -> List[AuditEntry]:
        """Newest first."""
        query = _NEWEST_FIRST.limit(limit)
        if actor:
            query = query.where(helpdesk_audit.c.actor == actor)
        return [AuditEntry.from_row(row) for row in self._db.rows(query)]

    def latest_id(self) -> int:
        """Grows with every recorded action: the console's live view compares it."""
        return self._db.scalar(sa.select(sa.func.coalesce(sa.func.max(helpdesk_audit.c.id), 0)))
