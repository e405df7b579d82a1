"""Canned replies: bilingual snippets an agent inserts by typing "/" and a name in the reply
box. Supervisors manage them in the console. The customer's language picks the variant, and
variables in braces are filled for the ticket at hand (CANNED_VARIABLES); an unknown one is
left as written, so a typo shows instead of vanishing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import sqlalchemy as sa

from mall import support
from mall.agents import Agent
from mall.audit import AuditAction, HelpdeskAudit
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import canned_replies
from mall.privacy import mask_phones_in_text
from mall.tickets import Ticket

NAME_PATTERN = re.compile(r"[\w-]{1,32}")
MAX_TEXT_CHARS = 2000
# What a canned reply may mention (filled by `variables_for`; the console lists them).
CANNED_VARIABLES = ("ticket_id", "order_id", "agent_name", "hotline", "agent_hours")
_VARIABLE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class CannedReply:
    name: str
    text_zh: str
    text_en: str
    updated_at: str
    updated_by: str

    def text(self, language: Optional[str]) -> str:
        return self.text_en if language == "en" else self.text_zh


def fill(text: str, variables: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda found: variables.get(found.group(1), found.group(0)), text)


def variables_for(ticket: Ticket, agent: Agent, language: Optional[str]) -> Dict[str, str]:
    """What the CANNED_VARIABLES are in a reply to this ticket's customer, by this agent."""
    return {
        "ticket_id": ticket.ticket_id,
        "order_id": ticket.known_order_id or "",
        "agent_name": agent.shown_name(language),
        **support.template_variables(),
    }


class CannedReplies:
    def __init__(self, db: Database, clock: Clock, audit: HelpdeskAudit) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def listed(self) -> List[CannedReply]:
        return [CannedReply(**row) for row in self._db.rows(sa.select(canned_replies).order_by(canned_replies.c.name))]

    def get(self, name: str) -> Optional[CannedReply]:
        row = self._db.first(sa.select(canned_replies).where(canned_replies.c.name == name))
        return CannedReply(**row) if row else None

    def save(self, name: str, text_zh: str, text_en: str, actor: str) -> CannedReply:
        """Create or replace the reply called `name` (a mobile number in it is masked, as
        everywhere an agent writes)."""
        name = name.strip()
        text_zh, text_en = mask_phones_in_text(text_zh.strip()), mask_phones_in_text(text_en.strip())
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError("a name is 1-32 letters, digits, '_' or '-'")
        if not (0 < len(text_zh) <= MAX_TEXT_CHARS and 0 < len(text_en) <= MAX_TEXT_CHARS):
            raise ValueError(f"both texts have 1 to {MAX_TEXT_CHARS} characters")
        with self._db.transaction():
            self._db.upsert(
                canned_replies,
                {
                    "name": name,
                    "text_zh": text_zh,
                    "text_en": text_en,
                    "updated_at": iso(self._clock()),
                    "updated_by": actor,
                },
                key=["name"],
                update=["text_zh", "text_en", "updated_at", "updated_by"],
            )
            self._audit.record(actor, AuditAction.CANNED_SAVE, subject=name)
        saved = self.get(name)
        assert saved is not None
        return saved

    def delete(self, name: str, actor: str) -> bool:
        with self._db.transaction():
            deleted = self._db.execute(canned_replies.delete().where(canned_replies.c.name == name)).rowcount
            if deleted:
                self._audit.record(actor, AuditAction.CANNED_DELETE, subject=name)
        return deleted == 1

    def seed_if_empty(self, replies: Sequence[Mapping[str, str]], actor: str) -> None:
        """A new helpdesk's first replies (mall.demo)."""
        with self._db.transaction("canned_replies"):
            if not self._db.scalar(sa.select(sa.func.count()).select_from(canned_replies)):
                for reply in replies:
                    self.save(reply["name"], reply["text_zh"], reply["text_en"], actor)
