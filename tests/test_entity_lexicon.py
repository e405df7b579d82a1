"""The CRF's lexicon feature: every name the training data gives an entity type, as one
pattern that marks tokens only (the intent classifier's features do not change)."""

import re

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons.entity_lexicon import lexicon_patterns, names_by_entity
from rasa_addons.regex_featurizer import LinearRegexFeaturizer


def example(text: str, intent: str, *entities: tuple) -> Message:
    return Message(
        data={
            TEXT: text,
            "intent": intent,
            "entities": [
                {"entity": name, "start": start, "end": end, "value": value} for name, start, end, value in entities
            ],
        }
    )


DATA = TrainingData(
    training_examples=[
        example("用信用卡付", "inform", ("payment_method", 1, 4, "credit_card")),
        example("pay in full please", "inform", ("installments", 4, 11, "1")),
        example("分12期", "inform", ("installments", 1, 3, "12")),
        example("how do i check my account", "out_of_scope"),
    ],
    entity_synonyms={"信用卡": "credit_card", "cc": "credit_card", "bank card": "debit_card", "全款": "1"},
)


def test_names_are_the_annotated_spans_and_the_synonyms_of_their_values():
    names = names_by_entity(DATA, ["payment_method", "installments"])
    # "bank card" maps to a value no example annotates: not known to be a payment method here.
    assert names == {"payment_method": {"信用卡", "cc"}, "installments": {"in full", "全款"}}


def test_a_latin_name_does_not_match_inside_a_longer_word():
    (methods,) = [p for p in lexicon_patterns(DATA, ["payment_method"]) if p["name"] == "lexicon_payment_method"]
    assert re.search(methods["pattern"], "cc pls", re.IGNORECASE)
    assert re.search(methods["pattern"], "用CC付", re.IGNORECASE)
    assert not re.search(methods["pattern"], "check my account", re.IGNORECASE)


def test_lexicon_patterns_mark_tokens_and_leave_the_sentence_features_alone():
    config = {**LinearRegexFeaturizer.get_default_config(), "lexicon_entities": ["payment_method"]}
    context = ExecutionContext(graph_schema=None, model_id="test")
    patterns = lexicon_patterns(DATA, ["payment_method"])
    featurizer = LinearRegexFeaturizer(config, None, Resource("regex"), context, known_patterns=patterns)
    message = Message(data={TEXT: "cc pls"})
    message.set(TOKENS_NAMES[TEXT], [Token("cc", 0), Token("pls", 3)])
    sequence, sentence = featurizer._features_for_patterns(message, TEXT)
    assert sequence.toarray().tolist() == [[1.0], [0.0]]
    assert sentence.toarray().tolist() == [[0.0]]
    assert [token.get("pattern") for token in message.get(TOKENS_NAMES[TEXT])] == [
        {"lexicon_payment_method": True},
        {"lexicon_payment_method": False},
    ]


def test_the_default_config_is_rasas_with_no_lexicon():
    assert LinearRegexFeaturizer.get_default_config() == {
        **RegexFeaturizer.get_default_config(),
        "lexicon_entities": [],
    }


def test_an_entity_without_a_span_gives_its_value_only():
    # Core's training data: a story's user turn names the entity's value, not where it is written.
    story_turn = Message(data={"intent": "inform", "entities": [{"entity": "payment_method", "value": "debit_card"}]})
    data = TrainingData(training_examples=[story_turn], entity_synonyms={"bank card": "debit_card"})
    assert names_by_entity(data, ["payment_method"]) == {"payment_method": {"bank card"}}
