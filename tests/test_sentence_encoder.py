"""The sentence encoder: the bundled model places messages by meaning across zh and en, the
featurizer adds its embedding as one dense sentence feature of the configured length, and the
SVM keeps the embedding's share of a row whatever the message's length."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix

from rasa_addons import sentence_encoder
from rasa_addons.sentence_encoder import DIMENSIONS, MAX_ENCODED_CHARS, SentenceEncoderFeaturizer, embed
from rasa_addons.svm_intent_classifier import LinearSVMIntentClassifier


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def _featurizer(tmp_path, weight: float) -> SentenceEncoderFeaturizer:
    return SentenceEncoderFeaturizer.create(
        {"weight": weight}, LocalModelStorage(tmp_path), Resource("e"), _context("e")
    )


def test_a_question_is_nearer_its_translation_than_another_question():
    where, 在哪, refund, weather = embed(
        ["where is my order", "我的订单到哪了", "how do I get a refund", "明天天气怎么样"]
    )
    assert where @ 在哪 > where @ refund > where @ weather
    assert 在哪 @ where > 在哪 @ weather


def test_each_message_with_text_gets_one_embedding_of_the_configured_length(tmp_path):
    messages = [Message(data={TEXT: "怎么分期付款"}), Message(data={TEXT: ""}), Message(data={"intent": "affirm"})]
    _featurizer(tmp_path, 0.7).process(messages)
    (feature,) = messages[0].features
    assert feature.type == FEATURE_TYPE_SENTENCE and feature.attribute == TEXT and feature.is_dense()
    assert feature.features.shape == (1, DIMENSIONS)
    assert np.linalg.norm(feature.features) == pytest.approx(0.7, rel=1e-5)
    assert messages[1].features == [] and messages[2].features == []


def test_training_examples_get_the_same_embedding_as_a_message_at_run_time(tmp_path):
    featurizer = _featurizer(tmp_path, 1.0)
    data = TrainingData([Message(data={TEXT: "where is my order", "intent": "check_order_status"})])
    featurizer.process_training_data(data)
    (served,) = featurizer.process([Message(data={TEXT: "where is my order"})])
    np.testing.assert_allclose(data.training_examples[0].features[0].features, served.features[0].features, atol=1e-6)


def test_the_memo_returns_what_the_encoder_does(monkeypatch):
    fresh = embed(["hi", "你好"])
    monkeypatch.setattr(sentence_encoder, "memo", {})
    np.testing.assert_allclose(embed(["你好", "hi", "你好"]), fresh[[1, 0, 1]], atol=1e-6)
    assert set(sentence_encoder.memo) == {"hi", "你好"}


def _with_features(ngrams: list, embedding: list) -> Message:
    message = Message(data={TEXT: "x"})
    message.add_features(Features(csr_matrix([ngrams]), FEATURE_TYPE_SENTENCE, TEXT, "ngrams"))
    message.add_features(Features(np.array([embedding]), FEATURE_TYPE_SENTENCE, TEXT, "encoder"))
    return message


def test_the_embedding_keeps_its_share_of_a_row_however_many_ngrams_a_message_has(tmp_path):
    classifier = LinearSVMIntentClassifier.create({}, LocalModelStorage(tmp_path), Resource("c"), _context("c"))
    short = _with_features([1, 0, 0, 0], [0.6, 0.0])
    long = _with_features([3, 1, 1, 1], [0.6, 0.0])
    rows = classifier._create_X([short, long]).toarray()
    # n-grams binary and of length 1, the embedding's length 0.6 beside them, the row of length 1
    scale = 1 / np.sqrt(1 + 0.6**2)
    np.testing.assert_allclose(rows[0], [scale, 0, 0, 0, 0.6 * scale, 0])
    np.testing.assert_allclose(rows[1], [0.5 * scale] * 4 + [0.6 * scale, 0])


def test_a_long_message_is_read_as_far_as_the_encoder_reads():
    start = "我想知道我的订单什么时候发货" * 40
    assert len(start) >= MAX_ENCODED_CHARS
    np.testing.assert_allclose(embed([start + "，另外请问一下别的事情" * 100]), embed([start]), atol=1e-6)
