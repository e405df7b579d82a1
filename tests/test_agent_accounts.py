"""Agents' own accounts (mall.agents): argon2 password hashes, `python -m mall.agents`, the
first accounts of a fresh machine, roles in the console, and sessions that end at once when
an agent is disabled or their password reset (the API and the live channel)."""

from __future__ import annotations

import io
import json
from typing import Any, Dict, List, Tuple

import pytest
import sqlalchemy as sa
from aiohttp import ClientResponse

from launcher.stack import first_accounts_lines, prepare_store
from mall import agents as agents_command
from mall import settings
from mall.agents import AccountError, AgentRole
from mall.migrations import agents as agents_table
from mall.store import OrderStore
from tests.console_support import ACCOUNTS, signed_in, with_console


def test_passwords_are_argon2_hashes_and_names_are_checked(tmp_path):
    store = OrderStore(tmp_path / "orders.db")
    store.agents.add("Wang", "小王", AgentRole.AGENT, "correct horse", "test", display_name_en="Wang")
    stored = store.db.first(sa.select(agents_table.c.password_hash))["password_hash"]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert store.agents.authenticate("wang", "correct horse").display_name == "小王"
    assert store.agents.authenticate("wang", "wrong horse") is None
    assert store.agents.authenticate("nobody", "correct horse") is None
    for name, password in (("wang", "another one"), ("x", "long enough"), ("w ang", "long enough"), ("li", "short")):
        with pytest.raises(AccountError):
            store.agents.add(name, "小李", AgentRole.AGENT, password, "test")
    wang = store.agents.get("wang")
    assert (wang.shown_name("zh"), wang.shown_name("en")) == ("小王", "Wang")
    store.close()


def run_command(capsys, *argv: str, stdin: str = "") -> Tuple[int, str]:
    sys_stdin = io.StringIO(stdin)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", sys_stdin)
        status = agents_command.main(list(argv))
    return status, capsys.readouterr().out


def test_the_command_adds_lists_disables_enables_and_resets_agents(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(settings.ORDERS_DB_ENV, str(tmp_path / "orders.db"))
    status, said = run_command(capsys, "add", "li", "--display-name", "小李", "--display-name-en", "Li")
    password = said.rpartition("password: ")[2].strip()
    assert status == 0 and len(password) >= 12
    assert (
        run_command(
            capsys,
            "add",
            "chen",
            "--display-name",
            "老陈",
            "--role",
            "supervisor",
            "--password-stdin",
            stdin="chen's own password\n",
        )[0]
        == 0
    )
    store = OrderStore(tmp_path / "orders.db")
    assert store.agents.authenticate("li", password) and store.agents.authenticate("chen", "chen's own password")
    status, listed = run_command(capsys, "list")
    assert "li" in listed and "小李 / Li" in listed and "supervisor" in listed and "offline" in listed
    assert run_command(capsys, "disable", "li")[0] == 0
    assert store.agents.authenticate("li", password) is None and "disabled" in run_command(capsys, "list")[1]
    assert run_command(capsys, "disable", "li")[0] == 1  # once
    assert run_command(capsys, "enable", "li")[0] == 0
    status, said = run_command(capsys, "reset", "li")
    new_password = said.rpartition(": ")[2].strip()
    assert store.agents.authenticate("li", new_password) and not store.agents.authenticate("li", password)
    assert run_command(capsys, "reset", "nobody")[0] == 1
    assert run_command(capsys, "add", "li", "--display-name", "又一个")[0] == 2  # taken
    actions = [(entry.actor, entry.action, entry.subject) for entry in reversed(store.audit.recent())]
    assert actions == [
        ("command-line", "agent_add", "li"),
        ("command-line", "agent_add", "chen"),
        ("command-line", "agent_disable", "li"),
        ("command-line", "agent_enable", "li"),
        ("command-line", "agent_reset", "li"),
    ]
    store.close()


def test_a_fresh_machine_gets_a_supervisor_and_an_agent_once(tmp_path):
    created = prepare_store(tmp_path / "orders.db")
    assert sorted(agent.role.value for agent, _ in created) == ["agent", "supervisor"]
    lines = "\n".join(first_accounts_lines(created))
    store = OrderStore(tmp_path / "orders.db")
    for agent, password in created:
        assert password in lines and store.agents.authenticate(agent.name, password)
    assert store.orders.count() == 8 and store.canned.get("hello") is not None
    store.close()
    assert prepare_store(tmp_path / "orders.db") == [] and first_accounts_lines([]) == []


async def events(response: ClientResponse, until: str) -> List[Tuple[str, Dict[str, Any]]]:
    """The live channel's events, up to and including the first called `until`."""
    received: List[Tuple[str, Dict[str, Any]]] = []
    name = ""
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            received.append((name, json.loads(line[6:])))
            if name == until:
                return received


def test_a_disabled_agent_is_signed_out_of_the_api_and_the_live_channel(tmp_path):
    async def scenario(client, rasa, store):
        async with signed_in(client, "wang") as wang, signed_in(client, "chen") as chen:
            live = await wang.get("/agent/api/live")
            assert [name for name, _ in await events(live, "hello")] == ["hello"]
            assert [agent.name for agent in store.agents.online()] == ["wang"]
            assert (await chen.post("/agent/api/agents/wang/disable")).status == 200
            assert (await events(live, "signed_out"))[-1][0] == "signed_out"
            assert (await wang.get("/agent/api/tickets")).status == 401
            assert store.agents.online() == []
            assert (await chen.post("/agent/api/agents/chen/disable")).status == 400  # not themselves
            assert (await chen.post("/agent/api/agents/wang/enable")).status == 200
            await wang.sign_in("wang")
            assert (await wang.get("/agent/api/tickets")).status == 200

    with_console(tmp_path, scenario)


def test_a_reset_password_ends_the_sessions_and_is_shown_once(tmp_path):
    async def scenario(client, rasa, store):
        async with signed_in(client, "li") as li, signed_in(client, "chen") as chen:
            reset = await chen.post("/agent/api/agents/li/reset")
            password = (await reset.json())["password"]
            assert (await li.get("/agent/api/me")).status == 401
            login = await li.post("/agent/login", {"name": "li", "password": ACCOUNTS["li"][3]})
            assert login.status == 401
            assert (await li.post("/agent/login", {"name": "li", "password": password})).status == 200
            listed = await chen.json("/agent/api/agents")
            assert "password" not in str(listed) and "hash" not in str(listed)

    with_console(tmp_path, scenario)


def test_only_supervisors_manage_agents_and_canned_replies_and_read_the_audit(tmp_path):
    async def scenario(client, rasa, store):
        async with signed_in(client, "wang") as wang, signed_in(client, "chen") as chen:
            for path in ("/agent/api/agents", "/agent/api/audit"):
                assert (await wang.get(path)).status == 403 and (await chen.get(path)).status == 200
            assert (await wang.post("/agent/api/agents", {"name": "zhao", "display_name": "小赵"})).status == 403
            assert (await wang.post("/agent/api/agents/li/disable")).status == 403
            canned = {"name": "wait", "text_zh": "请稍等", "text_en": "One moment"}
            assert (await wang.post("/agent/api/canned", canned)).status == 403
            added = await chen.post("/agent/api/agents", {"name": "zhao", "display_name": "小赵", "role": "agent"})
            password = (await added.json())["password"]
            assert store.agents.authenticate("zhao", password).role is AgentRole.AGENT
            bad = await chen.post("/agent/api/agents", {"name": "zhao", "display_name": "又一个"})
            assert bad.status == 400
            audit = (await chen.json("/agent/api/audit"))["entries"]
            assert (audit[0]["actor"], audit[0]["action"], audit[0]["subject"]) == ("chen", "agent_add", "zhao")
            me = await wang.json("/agent/api/me")
            assert me["agent"] == {"name": "wang", "display_name": "小王", "display_name_en": "Wang", "role": "agent"}

    with_console(tmp_path, scenario)
