"""Review and learn (issue 22): a supervisor's label makes a missed message a training example
in the supervisors' file, which Rasa's loader and validator take, and the message leaves the
review, the console's and `make review`'s. On SQLite and PostgreSQL (`database`)."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import List

import pytest
import sqlalchemy as sa

from mall import review, settings
from mall.db import Database
from mall.labelling import LabelConflict, LabelRefused, NothingToLabel, customer_intents
from mall.migrations import MIGRATIONS
from mall.ratings import BUTTON_ONLY_INTENTS
from mall.store import OrderStore
from mall.training_file import read_examples, render

PHONE_TEXT = "我手机 13812345678 的订单  能不能 先付一半"  # two spaces: normalised to one
MASKED = "我手机 138****5678 的订单 能不能 先付一半"


def opened(database: str) -> OrderStore:
    return OrderStore(database)


def miss(store: OrderStore, text: str, sender: str = "c1", nearest: str = "ask_installment_howto") -> None:
    store.misses.record(sender, text, "fallback", [(nearest, 0.31)], "zh")


def listed_texts(store: OrderStore) -> List[str]:
    return [text for _, texts in review.grouped(store.misses.unlabelled()) for text, _ in texts]


def rasa_examples(path: Path) -> List[tuple]:
    """The file as `rasa train` reads it, with any warning Rasa gives turned into a failure."""
    from rasa.shared.nlu.training_data.loading import load_data

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        data = load_data(str(path))
    return [(example.get("intent"), example.get("text")) for example in data.intent_examples]


def test_the_migration_labels_nothing_and_gives_old_misses_their_normalised_text(database, reviewed):
    older = Database(database)
    MIGRATIONS.apply(older, stop_before="nlu_miss_labels")
    with older.transaction() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO nlu_misses (sender_id, text, kind, guesses, language, created_at) "
                "VALUES ('old', ' 分期  怎么办 ', 'fallback', '[]', 'zh', '2026-11-20T10:00:00+00:00')"
            )
        )
    older.dispose()
    store = opened(database)
    assert MIGRATIONS.pending(store.db) == []
    row = store.db.first(sa.text("SELECT normalised, label, labelled_by, labelled_at FROM nlu_misses"))
    assert row == {"normalised": "分期 怎么办", "label": None, "labelled_by": None, "labelled_at": None}
    assert store.labelling.label("分期 怎么办", "ask_installment_howto", "chen").rows == 1
    assert listed_texts(store) == []
    store.close()


def test_a_label_writes_an_example_rasa_reads_and_the_miss_leaves_the_review(database, reviewed, monkeypatch, capsys):
    store = opened(database)
    miss(store, PHONE_TEXT, "c1")
    miss(store, PHONE_TEXT.replace("  ", " "), "c2", nearest="ask_help")  # the same text, another guess
    miss(store, "还有别的没看懂的", "c3")
    assert MASKED in listed_texts(store)

    done = store.labelling.label(MASKED, "ask_installment_howto", "chen")
    assert (done.text, done.rows, done.added) == (MASKED, 2, True)
    assert rasa_examples(reviewed) == [("ask_installment_howto", MASKED)]  # masked, as the customer wrote it
    assert "13812345678" not in reviewed.read_text()
    assert listed_texts(store) == ["还有别的没看懂的"]
    assert len(store.misses.since()) == 3  # still misses in the figures
    entry = store.audit.recent(1)[0]
    assert (entry.actor, entry.action, entry.detail) == ("chen", "label", MASKED)
    assert entry.subject == "ask_installment_howto"

    if database.startswith("postgresql"):
        monkeypatch.setenv(settings.DATABASE_URL_ENV, database)
    else:
        monkeypatch.delenv(settings.DATABASE_URL_ENV, raising=False)
        monkeypatch.setenv(settings.ORDERS_DB_ENV, database)
    assert review.main([]) == 0
    printed = capsys.readouterr().out
    assert "还有别的没看懂的" in printed and "先付一半" not in printed
    store.close()


def test_the_same_text_labelled_twice_is_one_example(database, reviewed):
    store = opened(database)
    miss(store, "花呗 额度 不够 怎么办")
    assert store.labelling.label("花呗 额度 不够 怎么办", "ask_installment_options", "chen").added
    again = store.labelling.label("花呗  额度 不够 怎么办 ", "ask_installment_options", "lead")  # a retry
    assert (again.rows, again.added) == (0, False)
    miss(store, "花呗 额度 不够 怎么办", "c9")  # said again before the retraining
    miss(store, "花呗 额度 不够 怎么办".upper(), "c9")  # no case in Chinese: the same key
    assert store.labelling.label("花呗 额度 不够 怎么办", "ask_installment_options", "chen").rows == 2
    assert read_examples(reviewed) == {"ask_installment_options": ["花呗 额度 不够 怎么办"]}
    assert [entry.action for entry in store.audit.recent()] == ["label", "label"]  # not the no-op retry
    store.close()


def test_an_example_of_another_intent_is_refused_and_an_unknown_intent_is_not_a_label(database, reviewed):
    store = opened(database)
    miss(store, "你好")  # an example of greet in data/nlu/conversation.yml
    miss(store, "Hiya Mall Helper", "c2")
    with pytest.raises(LabelConflict, match="greet"):
        store.labelling.label("你好", "thank", "chen")
    assert store.labelling.label("你好", "greet", "chen").added is False  # the same intent: only marked
    store.labelling.label("Hiya Mall Helper", "greet", "chen")
    miss(store, "hiya mall helper", "c3")
    with pytest.raises(LabelConflict, match="greet"):  # the validator's checks ignore case
        store.labelling.label("hiya mall helper", "bot_challenge", "chen")
    for intent in ("no_such_intent", "rate", "nlu_fallback"):  # rate: only its buttons send it
        with pytest.raises(LabelRefused):
            store.labelling.label("hiya mall helper", intent, "chen")
    with pytest.raises(NothingToLabel):
        store.labelling.label("never said", "greet", "chen")
    miss(store, "[支付宝](payment_method) 能用吗", "c4")
    with pytest.raises(LabelRefused, match="entity"):
        store.labelling.label("[支付宝](payment_method) 能用吗", "inform", "chen")
    assert read_examples(reviewed) == {"greet": ["Hiya Mall Helper"]}
    assert listed_texts(store) == ["hiya mall helper", "[支付宝](payment_method) 能用吗"]
    store.close()


def test_labels_given_at_once_all_land(database, reviewed):
    """Ten supervisors, each with their own connections, label at the same moment: eight
    texts, one of them three times (a double click, two supervisors)."""
    texts = [f"第{number}个 没听懂的问题" for number in range(8)]
    setup = opened(database)
    for number, text in enumerate(texts):
        miss(setup, text, f"c{number}")
    labelled = texts + [texts[0], texts[0]]
    start = threading.Barrier(len(labelled))
    failures: List[BaseException] = []

    def label(text: str) -> None:
        store = opened(database)
        try:
            start.wait()
            store.labelling.label(text, "out_of_scope", "chen")
        except BaseException as failure:
            failures.append(failure)
        finally:
            store.close()

    threads = [threading.Thread(target=label, args=(text,)) for text in labelled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(read_examples(reviewed)["out_of_scope"]) == sorted(texts)  # each once
    assert listed_texts(setup) == []
    assert len([entry for entry in setup.audit.recent() if entry.action == "label"]) == len(texts)
    setup.close()


def test_undo_puts_the_miss_back_and_takes_the_example_out(database, reviewed):
    store = opened(database)
    miss(store, "这个能退吗")
    store.labelling.label("这个能退吗", "out_of_scope", "chen")
    assert store.labelling.unlabel("这个能退吗", "chen") == "out_of_scope"
    assert listed_texts(store) == ["这个能退吗"]
    assert rasa_examples(reviewed) == []
    assert store.labelling.unlabel("这个能退吗", "chen") is None
    store.labelling.label("这个能退吗", "check_order_status", "chen")  # labelled anew, another way
    assert read_examples(reviewed) == {"check_order_status": ["这个能退吗"]}
    store.close()


def test_rasas_validator_takes_the_project_data_with_the_labels(tmp_path, reviewed):
    """`rasa data validate`'s checks of NLU data, on data/ and the supervisors' file: no
    example under two intents, every intent in the domain."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    empty = tmp_path / "empty.yml"
    empty.write_text(render({}))
    assert rasa_examples(empty) == []
    store = OrderStore(tmp_path / "orders.db")
    for text, intent in [("今天股票涨了吗", "out_of_scope"), ("分期 可以 提前还吗", "ask_repayment")]:
        miss(store, text)
        store.labelling.label(text, intent, "chen")
    store.close()
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(settings.DOMAIN), training_data_paths=[str(settings.TRAINING_DATA), str(reviewed)]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        assert validator.verify_example_repetition_in_intents(ignore_warnings=False)
        assert validator.verify_intents(ignore_warnings=False)
    # Rasa also warns about the domain's slots every time, and the intents only buttons send
    # have no examples on purpose (scripts/validate_data.py lets those be).
    button_only = [f"The intent '{intent}' is listed in the domain" for intent in BUTTON_ONLY_INTENTS]
    said = [str(warning.message) for warning in caught if not str(warning.message).startswith(tuple(button_only))]
    assert [text for text in said if "example" in text or "intent" in text or reviewed.name in text] == []
    texts = {example.get("text"): example.get("intent") for example in validator.intents.intent_examples}
    assert texts["今天股票涨了吗"] == "out_of_scope" and texts["分期 可以 提前还吗"] == "ask_repayment"


def test_the_intents_offered_are_the_domains_a_customer_can_say():
    offered = customer_intents()
    assert "out_of_scope" in offered and "greet" in offered and "rate" not in offered
