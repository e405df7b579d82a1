"""Reads the training data once (named under `importers` in config.yml).

`rasa train` builds one importer to validate the data and another to train, and wraps each in
importers of Rasa's own; every one of them read and schema-checked each YAML file again and
deep-copied the whole training data it got. With this project's data (real customers'
messages, responses by topic: some 5,000 examples) that was most of a `rasa train` with
nothing to train (docs/BENCHMARK.md). This is Rasa's file importer with three differences:

- what it parsed is kept on disk beside Rasa's training cache, keyed by the files' contents
  and the Rasa release, so an unchanged file is not parsed again;
- within a process each kind of data is read once;
- its training examples copy themselves directly (Rasa's wrappers copy the data before
  anything changes it; the generic deep copy of a Message went through __reduce_ex__), and
  each remembers its fingerprint before the first copy, so no copy computes it again unless
  its data changes.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from pathlib import Path
from typing import Any, Callable, Dict, Hashable, Iterable, Optional, Text, TypeVar

import rasa
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from mall import settings

Read = TypeVar("Read")
_read_before: Dict[Hashable, Any] = {}


def _digest(kind: str, paths: Iterable[Optional[Text]]) -> str:
    digest = hashlib.sha256(f"{rasa.__version__}\0{kind}\0".encode())
    for path in paths:
        if path and Path(path).is_file():
            digest.update(path.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()


def _once(kind: str, paths: Iterable[Optional[Text]], read: Callable[[], Read]) -> Read:
    key = _digest(kind, paths)
    if key in _read_before:
        return _read_before[key]
    stored = settings.rasa_cache_directory() / "parsed-training-data" / f"{key}.pickle"
    try:
        result = pickle.loads(stored.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        result = read()
        stored.parent.mkdir(parents=True, exist_ok=True)
        temporary = stored.with_suffix(".partial")
        temporary.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        temporary.replace(stored)  # whole or not at all, even with two trainings at once
    _read_before[key] = result
    return result


class _ReadMessage(Message):
    """A training example read from a file, copied attribute by attribute, and keeping its
    fingerprint when it is set to what it already holds (every TrainingData a wrapper makes
    strips each example's intent again, which made every example's fingerprint be computed
    anew after every copy)."""

    def __deepcopy__(self, memo: Dict[int, Any]) -> _ReadMessage:
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        copied.__dict__.update({name: copy.deepcopy(value, memo) for name, value in vars(self).items()})
        return copied

    def set(self, prop: Text, info: Any, add_to_output: bool = False) -> None:
        if prop in self.data and self.data[prop] == info and (prop in self.output_properties or not add_to_output):
            return
        super().set(prop, info, add_to_output)


def _cheap_to_copy(data: TrainingData) -> TrainingData:
    for example in data.training_examples:
        example.__class__ = _ReadMessage
        example.fingerprint()  # remembered by the message, so by its copies
    return data


class OnceReadImporter(RasaFileImporter):
    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        # Rasa's YAML reader reads the same data whatever the language.
        read = super().get_nlu_data
        return _once("nlu", self._nlu_files, lambda: _cheap_to_copy(read(language)))

    def get_domain(self) -> Domain:
        return _once("domain", [self._domain_path], super().get_domain)

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        read = super().get_stories
        paths = [self._domain_path, *self._story_files]
        return _once(f"stories-{exclusion_percentage}", paths, lambda: read(exclusion_percentage))
