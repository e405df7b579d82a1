"""Messages the assistant did not understand ("fallback") or had to ask about
("clarification"), with the classifier's best guesses, kept for review (mall.review).
Phone numbers are masked before they are stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Tuple

import sqlalchemy as sa

from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import nlu_misses
from mall.privacy import mask_phones_in_text

Guess = Tuple[str, float]  # (intent, confidence)


@dataclass(frozen=True)
class NluMiss:
    sender_id: str
    text: str
    kind: str
    guesses: Tuple[Guess, ...]
    language: str
    created_at: str

    @property
    def nearest_intent(self) -> Optional[str]:
        return self.guesses[0][0] if self.guesses else None


class NluMisses:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def record(self, sender_id: str, text: str, kind: str, guesses: List[Guess], language: str) -> None:
        self._db.execute(
            nlu_misses.insert().values(
                sender_id=sender_id,
                text=mask_phones_in_text(text),
                kind=kind,
                guesses=json.dumps([[name, round(confidence, 3)] for name, confidence in guesses]),
                language=language,
                created_at=iso(self._clock()),
            )
        )

    def since(self, moment: Optional[datetime] = None) -> List[NluMiss]:
        """Oldest first; all of them without `moment`."""
        query = sa.select(nlu_misses).order_by(nlu_misses.c.id)
        if moment:
            query = query.where(nlu_misses.c.created_at >= iso(moment))
        return [
            NluMiss(
                sender_id=row["sender_id"],
                text=row["text"],
                kind=row["kind"],
                guesses=tuple(
                    (str(name), float(confidence)) for name, confidence in json.loads(row["guesses"] or "[]")
                ),
                language=row["language"],
                created_at=row["created_at"],
            )
            for row in self._db.rows(query)
        ]
