"""python -m mall.insights: the fixed keys, the range, the definitions in the help, the readable
form, and the README saying the same words."""

from __future__ import annotations

import json

import pytest

from mall import insights, settings
from mall.conversations import ConversationLog
from mall.figures import DEFINITIONS, RATE_DEFINITIONS
from tests.conversation_events import Conversation, at


@pytest.fixture
def stores(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ORDERS_DB_ENV, str(tmp_path / "orders.db"))
    monkeypatch.setenv(settings.CONVERSATIONS_DB_ENV, str(tmp_path / "conversations.db"))
    log = ConversationLog(tmp_path / "conversations.db")
    Conversation(log, "zh", at("2026-11-02")).new_session().question("分期有手续费吗").rate(4)
    Conversation(log, "en", at("2026-11-03")).new_session().question("fees?").not_understood("asdf")
    log.close()


def run(capsys, *args: str) -> str:
    assert insights.main(list(args)) == 0
    return capsys.readouterr().out


def test_json_with_a_range(stores, capsys):
    shown = json.loads(run(capsys, "--json", "--from", "2026-11-03", "--to", "2026-11-04"))
    figures = ["sessions", "contained", "handed_off", "resolved", "fallbacks", "change_payment", "csat"]
    assert list(shown) == [*figures, "by_language", "by_day"]
    assert (shown["sessions"], shown["fallbacks"], shown["csat"]) == (1, 1, {"responses": 0, "average": None})
    assert list(shown["by_day"]) == ["2026-11-03", "2026-11-04"]
    assert shown["by_language"]["en"]["sessions"] == 1 and shown["by_language"]["zh"]["sessions"] == 0


def test_readable_with_the_definitions(stores, capsys):
    out = run(capsys)
    assert "sessions         2" in out and "4.00" in out
    assert "containment    100.0%" in out and "resolution    100.0%" in out  # both sessions contained and answered
    for definition in [*DEFINITIONS.values(), *RATE_DEFINITIONS.values()]:
        assert definition in out


def test_a_bad_date_is_refused(stores, capsys):
    with pytest.raises(SystemExit):
        insights.main(["--from", "2026-13-01"])


def test_the_help_and_the_readme_say_the_definitions(capsys):
    with pytest.raises(SystemExit):
        insights.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    readme = " ".join((settings.ROOT / "README.md").read_text().split())
    for definition in [*DEFINITIONS.values(), *RATE_DEFINITIONS.values(), *insights.AGENT_DEFINITIONS.values()]:
        assert " ".join(definition.split()) in help_text
        assert " ".join(definition.split()) in readme
