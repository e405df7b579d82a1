"""Jieba tokenizer that drops whitespace tokens and retrains when its dictionary changes."""

from __future__ import annotations

import glob
import hashlib
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.fingerprints import source_fingerprint

MIN_ANONYMOUS_DIGITS = 4


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer keeps spaces as tokens (RasaHQ/rasa#7910).

    In mixed text such as "我想用 Visa 信用卡" those space tokens shift every feature
    window and break entity spans, so they are removed here.

    Long numbers (order numbers, phone tails) also get a lemma of zeros: which digits a
    customer typed says nothing about the intent, but as character n-grams every order
    number was new noise to the intent classifier. CountVectorsFeaturizer reads lemmas;
    entity extraction keeps the text. Short numbers (12期) keep their meaning.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = [token for token in super().tokenize(message, attribute) if token.text.strip()]
        for token in tokens:
            if len(token.text) >= MIN_ANONYMOUS_DIGITS and token.text.isdigit():
                token.lemma = "0" * len(token.text)
        return tokens

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """Rasa fingerprints only the dictionary *path*; hash the files' contents (and
        this code) too. Without this, editing the user dictionary does not retrain."""
        digest = hashlib.sha256(source_fingerprint(cls).encode())
        for path in sorted(glob.glob(f"{config.get('dictionary_path')}/*")):
            with open(path, "rb") as dictionary_file:
                digest.update(dictionary_file.read())
        return digest.hexdigest()
