"""NLU training files in Rasa's YAML: reading the examples of every file under data/ (to
find a text that is already an example), and the one file the console writes, the
supervisors' labels (settings.reviewed_nlu_file(), data/nlu/reviewed.yml by default), which
`make train` reads with the rest of data/.

That file is written whole each time: to a temporary file in the same folder, then renamed
over the old one, so a reader (`rasa train`, `rasa data validate`) sees the old file or the
new, never half of one; and under an exclusive lock on a file beside it, so that two labels
written at once both land (each reads what the other wrote). Empty, it is still valid
(`nlu: []`). What is written is read back before the rename: a text that Rasa would read
otherwise than it was written (an entity annotation, a control character) is refused.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections import defaultdict
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Sequence, Set

import yaml

VERSION = "3.1"
HEADER = (
    "# Examples supervisors labelled in the agent console's review (/agent/review, mall.labelling):\n"
    "# messages the assistant missed, as the customers wrote them, phone numbers masked.\n"
    "# Written by the console (mall.training_file); `make train` trains on it with the rest of data/.\n"
)
# Rasa's entity annotation, `[text](entity)`, `[text]{...}` or `[text][...]`
# (rasa.shared.nlu.training_data.entities_parser.ENTITY_REGEX; mall does not import Rasa).
ENTITY_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+?)\](\([^:)]+?(?::[^)]+)?\)|\{[^}]+?\}|\[.*?\])")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: data/ is large

Examples = Dict[str, List[str]]  # intent -> texts, in the file's order


class UnwritableText(ValueError):
    """A text Rasa would not read back as it was written."""


class ConflictingExample(ValueError):
    """The text is an example of another intent already."""


def example_key(text: str) -> str:
    """What makes two examples the same one: Rasa's validator compares the texts exactly,
    scripts/nlu_lint.py (tests/test_training_data.py) without case; the stricter of the two."""
    return " ".join(text.split()).casefold()


def plain(example: str) -> str:
    """An example's text as Rasa reads it: entity annotations replaced by their text."""
    return ENTITY_ANNOTATION.sub(lambda match: match.group("text"), example)


def parse_examples(block: str) -> List[str]:
    """The examples of an `examples: |` block, as Rasa's reader takes them (the lines that
    start with "-", without it and the spaces around)."""
    return [line[1:].strip("\n\r ") for line in block.splitlines() if line.startswith("-")]


def _intent_examples(document: Any) -> Iterator[tuple]:
    if not isinstance(document, dict):
        return
    for item in document.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        examples = item.get("examples") or ""
        if isinstance(examples, str):
            texts = parse_examples(examples)
        else:  # the long form: a list of {text: ..., metadata: ...}
            texts = [str(entry.get("text", "")).strip() for entry in examples if isinstance(entry, dict)]
        yield str(item["intent"]), texts


def read_examples(path: Path) -> Examples:
    """A training file's intent examples (annotations kept); none when there is no file."""
    if not path.exists():
        return {}
    examples: Examples = defaultdict(list)
    for intent, texts in _intent_examples(yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)):
        examples[intent].extend(texts)
    return dict(examples)


def intents_by_key(paths: Iterable[Path]) -> Dict[str, Set[str]]:
    """example_key(text) -> the intents it is an example of, over the NLU files among `paths`."""
    found: Dict[str, Set[str]] = defaultdict(set)
    for path in paths:
        for intent, texts in read_examples(path).items():
            for text in texts:
                found[example_key(plain(text))].add(intent)
    return found


def training_files(folder: Path) -> List[Path]:
    """The YAML files Rasa reads under `folder` (launcher.training hashes the same)."""
    return sorted(path for path in folder.rglob("*.yml") if path.is_file())


def render(examples: Mapping[str, Sequence[str]]) -> str:
    lines = [HEADER.rstrip("\n"), f'version: "{VERSION}"']
    listed = {intent: texts for intent, texts in sorted(examples.items()) if texts}
    if not listed:
        lines.append("nlu: []")  # what Rasa's schema accepts for no examples at all
    else:
        lines.append("nlu:")
        for intent, texts in listed.items():
            lines += [f"- intent: {intent}", "  examples: |", *(f"    - {text}" for text in texts)]
    return "\n".join(lines) + "\n"


def check_writable(text: str) -> None:
    if not text or text != " ".join(text.split()):
        raise UnwritableText("an example is one line of text, without spaces around it")
    if not text.isprintable():
        raise UnwritableText("the text holds invisible or control characters, which Rasa's YAML does not take")
    if ENTITY_ANNOTATION.search(text):
        raise UnwritableText("the text holds [...](...), which Rasa would read as an entity annotation")


class TrainingFile:
    """The file supervisors' labels are written to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(f".{path.name}.lock")  # not *.yml: Rasa does not read it

    def examples(self) -> Examples:
        return read_examples(self.path)

    def create_if_missing(self) -> None:
        with self._locked():
            if not self.path.exists():
                self._write({})

    def add(self, intent: str, text: str) -> bool:
        """True if added; False if it is an example of `intent` already (as another case or
        spacing of it, too). ConflictingExample if it is one of another intent."""
        check_writable(text)
        key = example_key(text)
        with self._locked():
            examples = self.examples()
            holders = {name for name, texts in examples.items() if any(example_key(t) == key for t in texts)}
            others = sorted(holders - {intent})
            if others:
                raise ConflictingExample(f"already an example of {', '.join(others)} in {self.path.name}")
            if holders:
                return False
            examples.setdefault(intent, []).append(text)
            self._write(examples)
            return True

    def remove(self, intent: str, text: str) -> bool:
        """True if `text` was an example of `intent` here and is no longer."""
        with self._locked():
            examples = self.examples()
            if text not in examples.get(intent, []):
                return False
            examples[intent] = [kept for kept in examples[intent] if kept != text]
            self._write(examples)
            return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, whatever happens
            yield

    def _write(self, examples: Mapping[str, Sequence[str]]) -> None:
        text = render(examples)
        wanted = {intent: list(texts) for intent, texts in examples.items() if texts}
        read_back = dict(_intent_examples(yaml.load(text, Loader=_LOADER)))
        if read_back != wanted:
            raise UnwritableText("Rasa would not read the examples back as they were written")
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a server of another user
            os.replace(temporary, self.path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
