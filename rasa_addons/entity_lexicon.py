"""One pattern per entity type from every name the training data gives it, for the CRF.

The CRF learns a payment method or a number of periods from the words around it and from the
word itself, so a name it saw once in a synonym list ("bank card", "万事达卡") or in another
sentence ("一次性付清", "half a year") is still a stranger when a customer writes it alone. The
pattern says "this token is a known name of a payment method": the annotated spans of each
entity type and the synonyms of their values, so the data files stay the one home of the names.
Digits-only names are left to the CRF's digit feature ("12" is also part of an order number).
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Set, Text

from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.training_data import TrainingData

_LETTER = "[a-z]"
_PREFIX = "lexicon_"


def is_lexicon(pattern: Dict[Text, Text]) -> bool:
    return pattern["name"].startswith(_PREFIX)


def names_by_entity(training_data: TrainingData, entity_types: Iterable[Text]) -> Dict[Text, Set[Text]]:
    """Every written form of each entity type: annotated spans and synonyms of their values."""
    wanted = set(entity_types)
    names: Dict[Text, Set[Text]] = {entity: set() for entity in wanted}
    values: Dict[Text, Set[Text]] = {entity: set() for entity in wanted}
    for example in training_data.training_examples:
        text = example.get(TEXT) or ""
        for entity in example.get(ENTITIES) or []:
            entity_type = entity.get(ENTITY_ATTRIBUTE_TYPE)
            if entity_type in wanted:
                values[entity_type].add(str(entity.get(ENTITY_ATTRIBUTE_VALUE)).lower())
                if ENTITY_ATTRIBUTE_START in entity:  # a story's entity has a value, not a span
                    names[entity_type].add(text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]].lower())
    for written, value in training_data.entity_synonyms.items():
        for entity_type in wanted:
            if str(value).lower() in values[entity_type]:
                names[entity_type].add(written.lower())
    return {entity: {name for name in found if name.strip() and not name.isdigit()} for entity, found in names.items()}


def _bounded(name: Text) -> Text:
    """A name as a regex that does not match inside a longer Latin word ("cc" in "account")."""
    pattern = re.escape(name)
    if re.match(_LETTER, name[0]):
        pattern = f"(?<!{_LETTER}){pattern}"
    if re.match(_LETTER, name[-1]):
        pattern = f"{pattern}(?!{_LETTER})"
    return pattern


def lexicon_patterns(training_data: TrainingData, entity_types: Iterable[Text]) -> List[Dict[Text, Text]]:
    """RegexFeaturizer patterns named `lexicon_<entity>`; longer names are tried first."""
    patterns = []
    for entity_type, names in sorted(names_by_entity(training_data, entity_types).items()):
        if names:
            alternatives = "|".join(_bounded(name) for name in sorted(names, key=lambda n: (-len(n), n)))
            patterns.append({"name": f"{_PREFIX}{entity_type}", "pattern": f"(?:{alternatives})"})
    return patterns
