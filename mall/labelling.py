"""Review and learn: a supervisor gives a missed message (mall.misses) the intent it should
have been, and it becomes a training example that `make train` uses.

A label is given to a text, not to one row: every miss with the same normalised text (as
the review groups them, mall.review) is labelled at once, in one transaction with its audit
row, and leaves the review (the console's and `make review`'s). The example goes to the
supervisors' training file (mall.training_file, settings.reviewed_nlu_file()) during that
transaction, under its "labelling" lock, so labellers run one at a time on every database
and process. Labelling again is harmless: a text that is an example of the same intent
already (written before, or in another file of data/) is only marked labelled, never written
twice; so a label whose transaction failed after the file was written is finished by trying
again. A text that is an example of another intent is refused: Rasa's validator rejects one
example under two intents.

The intents offered are the domain's (domain.yml, the one home), except those only buttons
send; `out_of_scope` is among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from mall import settings
from mall.audit import AuditAction, HelpdeskAudit
from mall.db import Database
from mall.misses import NluMisses, normalised
from mall.privacy import mask_phones_in_text
from mall.ratings import BUTTON_ONLY_INTENTS
from mall.training_file import ConflictingExample, TrainingFile, example_key, intents_by_key, plain, training_files

LOCK = "labelling"


class LabelRefused(ValueError):
    """Not a label the training data can take (an unknown intent, an unwritable text)."""


class LabelConflict(ValueError):
    """The text is an example of another intent already, or labelled so already."""


class NothingToLabel(LookupError):
    """No missed message has this text."""


@dataclass(frozen=True)
class Labelled:
    text: str  # as written to the training file
    intent: str
    rows: int  # misses labelled now (0: labelled already, the same way)
    added: bool  # written to the training file now (False: an example already)


def customer_intents(domain: Path = settings.DOMAIN) -> List[str]:
    """The intents a customer's message may be labelled with, in the domain's order."""
    listed = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("intents") or []
    names = [entry if isinstance(entry, str) else next(iter(entry)) for entry in listed]
    return [name for name in names if name not in BUTTON_ONLY_INTENTS]


def _other_examples(reviewed: Path, data: Path) -> Dict[str, Set[str]]:
    """example_key -> intents, over the training data but the supervisors' file (read
    under its lock instead)."""
    return intents_by_key(path for path in training_files(data) if path.resolve() != reviewed.resolve())


class Labelling:
    def __init__(self, db: Database, misses: NluMisses, audit: HelpdeskAudit) -> None:
        self._db = db
        self._misses = misses
        self._audit = audit

    def file(self) -> TrainingFile:
        """Where labels go: read each time, so a test's setting applies at once."""
        return TrainingFile(settings.reviewed_nlu_file())

    def label(self, text: str, intent: str, by: str) -> Labelled:
        written = mask_phones_in_text(normalised(text))  # stored masked already: this is a second guard
        if intent not in customer_intents():
            raise LabelRefused(f"{intent!r} is not an intent of the domain a customer can say")
        training = self.file()
        # Read before the transaction: the rest of data/ does not change by labelling, and
        # parsing it inside would hold SQLite's write lock (the action server's too) longer.
        others = _other_examples(training.path, settings.TRAINING_DATA).get(example_key(plain(written)), set())
        if others - {intent}:
            raise LabelConflict(
                f"“{written}” is already a training example of {', '.join(sorted(others - {intent}))}: "
                "Rasa refuses one example under two intents"
            )
        with self._db.transaction(LOCK):
            to_review, labels = self._misses.labels_of(written)
            if not to_review and not labels:
                raise NothingToLabel(f"no missed message reads “{written}”")
            if labels - {intent}:
                raise LabelConflict(f"“{written}” is labelled {', '.join(sorted(labels))} already; undo that first")
            try:
                added = not others and training.add(intent, written)
            except ConflictingExample as taken:
                raise LabelConflict(f"“{written}” is {taken}") from taken
            except ValueError as unwritable:
                raise LabelRefused(str(unwritable)) from unwritable
            rows = self._misses.mark(written, intent, by)
            if rows or added:
                self._audit.record(by, AuditAction.LABEL, subject=intent, detail=written)
        return Labelled(written, intent, rows, added)

    def unlabel(self, text: str, by: str) -> Optional[str]:
        """The misses of this text back to review, and the example out of the supervisors'
        file if it was written there (not one of the rest of data/); the label it had."""
        written = normalised(text)
        with self._db.transaction(LOCK):
            _, labels = self._misses.labels_of(written)
            if not labels:
                return None
            for intent in labels:
                self.file().remove(intent, written)
            self._misses.unmark(written)
            self._audit.record(by, AuditAction.UNLABEL, subject=", ".join(sorted(labels)), detail=written)
        return ", ".join(sorted(labels))
