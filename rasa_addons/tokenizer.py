"""Jieba tokenizer that drops whitespace tokens and retrains when its dictionary changes."""

from __future__ import annotations

import glob
import hashlib
import re
from typing import Any, Dict, Iterator, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.fingerprints import source_fingerprint

MIN_ANONYMOUS_DIGITS = 4

# jieba's HMM (finalseg.viterbi) copies the whole path at every character, so a run of
# characters it cannot find in its dictionary costs the square of its length: 16,000 × "分"
# spent 1.9 s there. Text goes to jieba in pieces of at most this many characters, cut after
# punctuation or spaces where there are any; no real message has a run this long without
# them, so its tokens are the same as before.
MAX_PIECE_CHARS = 200
_PIECE_END = re.compile(r"[\s，。！？；、,.!?;]+")


def pieces(text: Text, limit: int = MAX_PIECE_CHARS) -> Iterator[Tuple[int, Text]]:
    """(offset, piece) with no piece longer than `limit`, together the whole text."""
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cuts = [match.end() for match in _PIECE_END.finditer(window)]
        end = start + (cuts[-1] if cuts and cuts[-1] < limit else limit)
        yield start, text[start:end]
        start = end
    if start < len(text):
        yield start, text[start:]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer keeps spaces as tokens (RasaHQ/rasa#7910), and costs the
    square of a long message's length (see MAX_PIECE_CHARS).

    In mixed text such as "我想用 Visa 信用卡" those space tokens shift every feature
    window and break entity spans, so they are removed here.

    Long numbers (order numbers, phone tails) also get a lemma of zeros: which digits a
    customer typed says nothing about the intent, but as character n-grams every order
    number was new noise to the intent classifier. CountVectorsFeaturizer reads lemmas;
    entity extraction keeps the text. Short numbers (12期) keep their meaning.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        tokens = [
            Token(word, offset + start)
            for offset, piece in pieces(message.get(attribute) or "")
            for word, start, _ in jieba.tokenize(piece)
            if word.strip()
        ]
        tokens = self._apply_token_pattern(tokens)
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
