"""Messages whose words were never seen in training go to the fallback."""

from typing import List

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_addons.unknown_words import UnknownWordsFallback


def message(*tokens: str, intent: str = "greet") -> Message:
    msg = Message(
        data={
            TEXT: " ".join(tokens),
            "intent": {"name": intent, "confidence": 0.97},
            "intent_ranking": [{"name": intent, "confidence": 0.97}],
        }
    )
    msg.set(TOKENS_NAMES[TEXT], [Token(text, 0) for text in tokens])
    return msg


def guard(vocabulary: List[str]) -> UnknownWordsFallback:
    return UnknownWordsFallback(model_storage=None, resource=None, vocabulary=set(vocabulary))


def test_only_unknown_words_is_not_understood():
    processed = guard(["你好", "hello"]).process([message("asdkjh", "qwe")])[0]
    assert processed.get("intent")["name"] == "nlu_fallback"
    assert processed.get("intent_ranking")[1]["name"] == "greet"


def test_one_known_word_is_enough_and_case_does_not_matter():
    processed = guard(["hello"]).process([message("Hello", "zzzz")])[0]
    assert processed.get("intent")["name"] == "greet"


def test_digits_and_emoji_are_left_to_the_classifier():
    for tokens in (["1234"], ["5201121000000001"], ["👍"], ["1234", "？"]):
        processed = guard(["hello"]).process([message(*tokens, intent="inform")])[0]
        assert processed.get("intent")["name"] == "inform", tokens


def test_punctuation_alone_is_not_understood():
    for tokens in (["???"], ["？？？"], ["。。。"], ["!", "…"]):
        processed = guard(["hello"]).process([message(*tokens, intent="bot_challenge")])[0]
        assert processed.get("intent")["name"] == "nlu_fallback", tokens


def test_stretched_words_are_known_words():
    for tokens in (["Heloo"], ["hiiii", "there"], ["byeee"], ["thanksss"]):
        processed = guard(["hello", "hi", "there", "bye", "thanks"]).process([message(*tokens)])[0]
        assert processed.get("intent")["name"] == "greet", tokens


def test_stretching_a_short_word_is_still_not_understood():
    for tokens in (["aaaaaaaa"], ["hmmmmm"], ["zzzzzz"], ["heyyy", "qqqq"]):
        processed = guard(["a", "hmm", "z", "hello"]).process([message(*tokens)])[0]
        assert processed.get("intent")["name"] == "nlu_fallback", tokens
