"""Rasa's RegexFeaturizer, with the cost of a message linear in its length.

Rasa 3.6 compares every token with every match of every pattern, so a message full of
four-digit groups ("1234 1234 …") costs the square of its length: 16,000 characters spent
6.3 s there. Tokens and matches both come in text order, so one pass over each finds the
same overlaps. The features are the same as Rasa's (tests/test_long_messages.py compares).

`lexicon_entities` adds a pattern per entity type from the names the training data gives it
(rasa_addons.entity_lexicon), for the CRF's `pattern` feature; it marks tokens only, so the
intent classifier's (sentence) features stay as they were.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons import entity_lexicon
from rasa_addons.fingerprints import source_fingerprint


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class LinearRegexFeaturizer(RegexFeaturizer):
    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        return source_fingerprint(cls) + source_fingerprint(entity_lexicon)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**RegexFeaturizer.get_default_config(), "lexicon_entities": []}

    def train(self, training_data: TrainingData) -> Resource:
        super().train(training_data)
        lexicons = entity_lexicon.lexicon_patterns(training_data, self._config["lexicon_entities"])
        if lexicons:
            self.known_patterns.extend(lexicons)
            self._persist()
        return self._resource

    def _features_for_patterns(
        self, message: Message, attribute: Text
    ) -> Tuple[Optional[scipy.sparse.coo_matrix], Optional[scipy.sparse.coo_matrix]]:
        text = message.get(attribute)
        tokens = message.get(TOKENS_NAMES[attribute], []) if text else []
        if not tokens:
            return None, None
        flags = 0 if self.case_sensitive else re.IGNORECASE
        sequence_features = np.zeros([len(tokens), len(self.known_patterns)])
        sentence_features = np.zeros([1, len(self.known_patterns)])
        for pattern_index, pattern in enumerate(self.known_patterns):
            # finditer's matches do not overlap: their starts and ends both grow.
            spans = [match.span() for match in re.finditer(pattern["pattern"], text, flags=flags)]
            first = 0  # the first match that does not end before the current token
            for token_index, token in enumerate(tokens):
                while first < len(spans) and spans[first][1] <= token.start:
                    first += 1
                matched = first < len(spans) and spans[first][0] < token.end and spans[first][1] > token.start
                patterns = token.get("pattern", default={})
                patterns[pattern["name"]] = matched
                token.set("pattern", patterns)
                if matched:
                    sequence_features[token_index][pattern_index] = 1.0
                    if attribute in (RESPONSE, TEXT, ACTION_TEXT) and not entity_lexicon.is_lexicon(pattern):
                        sentence_features[0][pattern_index] = 1.0
        return scipy.sparse.coo_matrix(sequence_features), scipy.sparse.coo_matrix(sentence_features)
