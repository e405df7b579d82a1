"""Messages the assistant did not understand ("fallback") or had to ask about
("clarification"), with the classifier's best guesses, kept for review (mall.review) until a
supervisor labels them with the intent they should have been (mall.labelling). Phone numbers
are masked before they are stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Set, Tuple

import sqlalchemy as sa

from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import nlu_misses
from mall.privacy import mask_phones_in_text

Guess = Tuple[str, float]  # (intent, confidence)


def normalised(text: str) -> str:
    """A message as the review lists it: "how  to pay" and "how to pay " are one line."""
    return " ".join(text.split())


@dataclass(frozen=True)
class NluMiss:
    sender_id: str
    text: str
    kind: str
    guesses: Tuple[Guess, ...]
    language: str
    created_at: str
    label: Optional[str] = None  # the intent a supervisor gave it; None: still to review

    @property
    def nearest_intent(self) -> Optional[str]:
        return self.guesses[0][0] if self.guesses else None

    @classmethod
    def from_row(cls, row: Dict[str, Any]) -> NluMiss:
        return cls(
            sender_id=row["sender_id"],
            text=row["text"],
            kind=row["kind"],
            guesses=tuple((str(name), float(confidence)) for name, confidence in json.loads(row["guesses"] or "[]")),
            language=row["language"],
            created_at=row["created_at"],
            label=row["label"],
        )


class NluMisses:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def record(self, sender_id: str, text: str, kind: str, guesses: List[Guess], language: str) -> None:
        masked = mask_phones_in_text(text)
        self._db.execute(
            nlu_misses.insert().values(
                sender_id=sender_id,
                text=masked,
                normalised=normalised(masked),
                kind=kind,
                guesses=json.dumps([[name, round(confidence, 3)] for name, confidence in guesses]),
                language=language,
                created_at=iso(self._clock()),
            )
        )

    def since(self, moment: Optional[datetime] = None, unlabelled_only: bool = False) -> List[NluMiss]:
        """Oldest first; all of them without `moment`; with `unlabelled_only`, those still to
        review (labelled ones still count as misses in the figures, mall.insights)."""
        query = sa.select(nlu_misses).order_by(nlu_misses.c.id)
        if moment:
            query = query.where(nlu_misses.c.created_at >= iso(moment))
        if unlabelled_only:
            query = query.where(nlu_misses.c.label.is_(None))
        return [NluMiss.from_row(row) for row in self._db.rows(query)]

    def unlabelled(self, moment: Optional[datetime] = None) -> List[NluMiss]:
        return self.since(moment, unlabelled_only=True)

    def labels_of(self, text: str) -> Tuple[int, Set[str]]:
        """How many rows of this (normalised) text are still to review, and the labels the
        others have. On the caller's transaction, locking the rows (PostgreSQL)."""
        query = (
            sa.select(nlu_misses.c.id, nlu_misses.c.label)
            .where(nlu_misses.c.normalised == normalised(text))
            .with_for_update()
        )
        rows = self._db.rows(query)
        return sum(1 for row in rows if row["label"] is None), {row["label"] for row in rows if row["label"]}

    def mark(self, text: str, label: str, by: str) -> int:
        """Every row of this text still to review gets `label`; how many did."""
        result = self._db.execute(
            nlu_misses.update()
            .where(nlu_misses.c.normalised == normalised(text), nlu_misses.c.label.is_(None))
            .values(label=label, labelled_by=by, labelled_at=iso(self._clock()))
        )
        return int(result.rowcount)

    def unmark(self, text: str) -> int:
        """Every row of this text back to review; how many were labelled."""
        result = self._db.execute(
            nlu_misses.update()
            .where(nlu_misses.c.normalised == normalised(text), nlu_misses.c.label.is_not(None))
            .values(label=None, labelled_by=None, labelled_at=None)
        )
        return int(result.rowcount)

    def from_sender(self, sender_id: str) -> bool:
        """Whether this conversation has a miss (the review shows only such conversations)."""
        query = sa.select(nlu_misses.c.id).where(nlu_misses.c.sender_id == sender_id).limit(1)
        return self._db.first(query) is not None
