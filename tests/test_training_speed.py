"""What keeps `rasa train` with nothing changed fast (docs/BENCHMARK.md): the training data is
read once and copied cheaply (rasa_addons.importer), and no component changes the data the
others train on, so the training cache's keys are the same from one run to the next
(rasa_addons.crf_entities)."""

from __future__ import annotations

import copy
import shutil

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from mall import settings
from rasa_addons import importer
from rasa_addons.crf_entities import ThreadSafeCRFEntityExtractor

DATA = settings.ROOT / "data"


def project_copy(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copy(settings.ROOT / "domain.yml", tmp_path / "domain.yml")
    return tmp_path


def test_the_data_read_is_rasas(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.RASA_CACHE_ENV, str(tmp_path / "cache"))
    ours = importer.OnceReadImporter(None, str(settings.ROOT / "domain.yml"), [str(DATA)])
    rasas = RasaFileImporter(None, str(settings.ROOT / "domain.yml"), [str(DATA)])
    for _ in range(2):  # read, then from the disk cache in a new process's memory
        assert ours.get_nlu_data("zh").fingerprint() == rasas.get_nlu_data("zh").fingerprint()
        assert ours.get_domain().fingerprint() == rasas.get_domain().fingerprint()
        assert ours.get_stories().fingerprint() == rasas.get_stories().fingerprint()
        importer._read_before.clear()
    assert list((tmp_path / "cache" / "parsed-training-data").glob("*.pickle"))


def test_a_changed_file_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.RASA_CACHE_ENV, str(tmp_path / "cache"))
    project = project_copy(tmp_path / "project")
    read = importer.OnceReadImporter(None, str(project / "domain.yml"), [str(project / "data")])
    before = len(read.get_nlu_data().training_examples)
    greetings = project / "data" / "nlu" / "conversation.yml"
    greetings.write_text(greetings.read_text().replace("    - 你好\n", "    - 你好\n    - 你好呀呀呀\n", 1))
    importer._read_before.clear()
    assert len(read.get_nlu_data().training_examples) == before + 1


def test_a_copy_of_the_data_read_is_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.RASA_CACHE_ENV, str(tmp_path / "cache"))
    read = importer.OnceReadImporter(None, str(settings.ROOT / "domain.yml"), [str(DATA)]).get_nlu_data()
    merged = TrainingData().merge(read)
    merged.training_examples[0].set(TEXT, "changed")
    assert read.training_examples[0].get(TEXT) != "changed"
    assert copy.deepcopy(read.training_examples[1]).fingerprint() == read.training_examples[1].fingerprint()


def tokenized(text: str, entity: str, value: str) -> Message:
    tokens, position = [], 0
    for word in text.split(" "):
        tokens.append(Token(word, position))
        position += len(word) + 1
    start = text.index(value)
    entities = [{"start": start, "end": start + len(value), "value": value, "entity": entity}]
    message = Message(data={TEXT: text, "intent": "inform", ENTITIES: entities})
    message.set(TOKENS_NAMES[TEXT], tokens)
    return message


def test_training_the_crf_leaves_the_others_training_data_as_it_was(tmp_path):
    data = TrainingData([tokenized(f"pay with {m} please", "payment_method", m) for m in ("alipay", "huabei")] * 5)
    before_data = [dict(example.data) for example in data.training_examples]
    extractor = ThreadSafeCRFEntityExtractor.create(
        ThreadSafeCRFEntityExtractor.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("crf"),
        ExecutionContext(GraphSchema({}), node_name="crf"),
    )
    extractor.train(data)
    assert extractor.entity_taggers  # it did learn
    assert [dict(example.data) for example in data.training_examples] == before_data
