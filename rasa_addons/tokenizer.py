"""Jieba tokenizer that drops whitespace tokens and retrains when its dictionary changes."""

from __future__ import annotations

import glob
import hashlib
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class CleanJiebaTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer keeps spaces as tokens (RasaHQ/rasa#7910).

    In mixed text such as "我想用 Visa 信用卡" those space tokens shift every feature
    window and break entity spans, so they are removed here.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return [
            token
            for token in super().tokenize(message, attribute)
            if token.text.strip()
        ]

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """Rasa fingerprints only the dictionary *path*; hash the files' contents too.

        Without this, editing the user dictionary does not retrain the model.
        """
        dictionary_path = config.get("dictionary_path")
        if not dictionary_path:
            return None
        digest = hashlib.sha256()
        for path in sorted(glob.glob(f"{dictionary_path}/*")):
            with open(path, "rb") as dictionary_file:
                digest.update(dictionary_file.read())
        return digest.hexdigest()
