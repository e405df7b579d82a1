"""The human agents' accounts: who signs in to the console, as what role, and who is online.

Each agent has a name to sign in with, a display name that customers see on the agent's
replies ("客服小王已接入" / "Wang has joined": an English one may be given for English-speaking
customers), a role (`agent`, or `supervisor`, who also sees every ticket, reassigns, manages
canned replies and agents, and reads the audit trail), a password hash (argon2id, from
argon2-cffi) and a disabled flag. Disabling an agent or resetting their password bumps their
`session_version`: every console session they had ends at once (webapp.console_auth checks
it on each request and on the live channel).

Presence: the web app records `last_seen_at` while a console tab of the agent is open
(mall.settings.AGENT_HEARTBEAT_SECONDS), and clears it when the last one closes.

    python -m mall.agents list
    python -m mall.agents add NAME --display-name 小李 [--display-name-en Li] [--role supervisor]
    python -m mall.agents disable NAME | enable NAME | reset NAME

`add` and `reset` print a new random password once (or read one from stdin with
--password-stdin). Every change is in the audit trail (actor "command-line").
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from functools import cache
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mall import settings
from mall.audit import COMMAND_LINE, AuditAction, HelpdeskAudit
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import agents as agents_table

_COLUMNS = agents_table.c
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{1,31}")
MAX_DISPLAY_NAME = 40
PASSWORD_MIN_CHARS = 8
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class AgentRole(str, Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


ROLE_LABELS = {
    AgentRole.AGENT.value: {"zh": "客服", "en": "Agent"},
    AgentRole.SUPERVISOR.value: {"zh": "主管", "en": "Supervisor"},
}

# What `make serve` creates on a fresh machine (mall.agents.Agents.create_first_accounts).
FIRST_ACCOUNTS: Tuple[Dict[str, str], ...] = (
    {"name": "lead", "display_name": "主管老陈", "display_name_en": "Chen", "role": AgentRole.SUPERVISOR.value},
    {"name": "wang", "display_name": "小王", "display_name_en": "Wang", "role": AgentRole.AGENT.value},
)


class AccountError(ValueError):
    """A change the accounts do not allow (a taken or malformed name, a short password)."""


@dataclass(frozen=True)
class Agent:
    name: str
    display_name: str
    display_name_en: Optional[str]
    role: AgentRole
    disabled: bool
    session_version: int
    last_seen_at: Optional[str]
    created_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Agent:
        return cls(
            name=row["name"],
            display_name=row["display_name"],
            display_name_en=row["display_name_en"],
            role=AgentRole(row["role"]),
            disabled=bool(row["disabled"]),
            session_version=row["session_version"],
            last_seen_at=row["last_seen_at"],
            created_at=row["created_at"],
        )

    @property
    def is_supervisor(self) -> bool:
        return self.role is AgentRole.SUPERVISOR

    def shown_name(self, language: Optional[str]) -> str:
        """The name a customer writing in `language` sees."""
        return (self.display_name_en or self.display_name) if language == "en" else self.display_name


def new_password() -> str:
    return secrets.token_urlsafe(12)


@cache
def _unknown_agents_hash() -> str:
    """Checked against when the name is unknown, so that a wrong name takes as long as a
    wrong password (the time would tell which names exist)."""
    return _HASHER.hash(new_password())


class Agents:
    def __init__(self, db: Database, clock: Clock, audit: HelpdeskAudit) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    # -- reads ------------------------------------------------------------------------------

    def get(self, name: str) -> Optional[Agent]:
        row = self._db.first(sa.select(agents_table).where(_COLUMNS.name == name))
        return Agent.from_row(row) if row else None

    def listed(self) -> List[Agent]:
        return [Agent.from_row(row) for row in self._db.rows(sa.select(agents_table).order_by(_COLUMNS.name))]

    def online(self) -> List[Agent]:
        """Enabled agents with a console tab open (heard of within AGENT_PRESENCE_SECONDS)."""
        since = iso(self._clock() - timedelta(seconds=settings.AGENT_PRESENCE_SECONDS))
        query = sa.select(agents_table).where(_COLUMNS.disabled == 0, _COLUMNS.last_seen_at >= since)
        return [Agent.from_row(row) for row in self._db.rows(query.order_by(_COLUMNS.name))]

    def authenticate(self, name: str, password: str) -> Optional[Agent]:
        """The agent, if `password` is theirs and they are not disabled."""
        agent = self.get(name)
        try:
            _HASHER.verify(self._hash_of(name) if agent else _unknown_agents_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if agent is None or agent.disabled:
            return None
        return agent

    def _hash_of(self, name: str) -> str:
        return self._db.scalar(sa.select(_COLUMNS.password_hash).where(_COLUMNS.name == name))

    # -- changes (each with its audit row, in one transaction) --------------------------------

    def add(
        self,
        name: str,
        display_name: str,
        role: AgentRole,
        password: str,
        actor: str,
        display_name_en: Optional[str] = None,
    ) -> Agent:
        name, display_name = name.strip().lower(), display_name.strip()
        if not NAME_PATTERN.fullmatch(name):
            raise AccountError("a name is 2-32 characters: a-z first, then a-z, 0-9, '.', '_' or '-'")
        if not 0 < len(display_name) <= MAX_DISPLAY_NAME or len(display_name_en or "") > MAX_DISPLAY_NAME:
            raise AccountError(f"a display name is 1-{MAX_DISPLAY_NAME} characters")
        with self._db.transaction("agents"):
            if self.get(name) is not None:
                raise AccountError(f"there is an agent called {name} already")
            self._db.execute(
                agents_table.insert().values(
                    name=name,
                    display_name=display_name,
                    display_name_en=(display_name_en or "").strip() or None,
                    role=AgentRole(role).value,
                    password_hash=_hashed(password),
                    disabled=0,
                    session_version=1,
                    last_seen_at=None,
                    created_at=iso(self._clock()),
                )
            )
            self._audit.record(actor, AuditAction.AGENT_ADD, subject=name, detail=AgentRole(role).value)
        agent = self.get(name)
        assert agent is not None
        return agent

    def set_disabled(self, name: str, disabled: bool, actor: str) -> bool:
        """False if there is no such agent or nothing changed. Disabling ends every session
        of theirs and takes them offline (mall.assignment requeues their open tickets)."""
        with self._db.transaction():
            changed = self._db.execute(
                agents_table.update()
                .where(_COLUMNS.name == name, _COLUMNS.disabled == int(not disabled))
                .values(
                    disabled=int(disabled),
                    session_version=_COLUMNS.session_version + 1,
                    last_seen_at=None,
                )
            ).rowcount
            if changed:
                action = AuditAction.AGENT_DISABLE if disabled else AuditAction.AGENT_ENABLE
                self._audit.record(actor, action, subject=name)
        return changed == 1

    def reset_password(self, name: str, password: str, actor: str) -> bool:
        """A new password; every session the agent had ends."""
        with self._db.transaction():
            changed = self._db.execute(
                agents_table.update()
                .where(_COLUMNS.name == name)
                .values(password_hash=_hashed(password), session_version=_COLUMNS.session_version + 1)
            ).rowcount
            if changed:
                self._audit.record(actor, AuditAction.AGENT_RESET, subject=name)
        return changed == 1

    def create_first_accounts(self) -> List[Tuple[Agent, str]]:
        """On a database with no agents: FIRST_ACCOUNTS, each with a new password, returned
        to be shown once. Of two processes starting at once, one creates them."""
        with self._db.transaction("agents"):
            if self._db.scalar(sa.select(sa.func.count()).select_from(agents_table)):
                return []
            created = []
            for account in FIRST_ACCOUNTS:
                password = new_password()
                agent = self.add(
                    account["name"],
                    account["display_name"],
                    AgentRole(account["role"]),
                    password,
                    COMMAND_LINE,
                    account["display_name_en"],
                )
                created.append((agent, password))
            return created

    # -- presence ---------------------------------------------------------------------------

    def seen(self, names: Iterable[str]) -> None:
        """These agents have a console tab open now."""
        listed = sorted(set(names))
        if listed:
            self._db.execute(
                agents_table.update()
                .where(_COLUMNS.name.in_(listed), _COLUMNS.disabled == 0)
                .values(last_seen_at=iso(self._clock()))
            )

    def gone(self, name: str) -> None:
        """The agent's last console tab closed."""
        self._db.execute(agents_table.update().where(_COLUMNS.name == name).values(last_seen_at=None))


def _hashed(password: str) -> str:
    if len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(f"a password has at least {PASSWORD_MIN_CHARS} characters")
    return _HASHER.hash(password)


# -- python -m mall.agents ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mall.agents", description="The agent console's accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every agent, with role, state and presence")
    add = commands.add_parser("add", help="a new agent; prints their password once")
    add.add_argument("name")
    add.add_argument("--display-name", required=True, help="what customers (and colleagues) see, e.g. 小李")
    add.add_argument("--display-name-en", help="what English-speaking customers see, e.g. Li")
    add.add_argument("--role", choices=[role.value for role in AgentRole], default=AgentRole.AGENT.value)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for command, what in (("disable", "ends their sessions at once"), ("enable", "lets them sign in again")):
        commands.add_parser(command, help=what).add_argument("name")
    reset = commands.add_parser("reset", help="a new password (printed once); ends their sessions")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true")
    return parser


def _password(args: argparse.Namespace) -> Tuple[str, bool]:
    """The password to set, and whether to print it (it was generated)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return new_password(), True


def run(args: argparse.Namespace, store: Any) -> int:
    """One command on `store` (a mall.store.OrderStore)."""
    if args.command == "list":
        online = {agent.name for agent in store.agents.online()}
        for agent in store.agents.listed():
            state = "disabled" if agent.disabled else ("online" if agent.name in online else "offline")
            english = f" / {agent.display_name_en}" if agent.display_name_en else ""
            print(f"{agent.name:<16} {agent.role.value:<11} {state:<9} {agent.display_name}{english}")
        return 0
    if args.command == "add":
        password, show = _password(args)
        role = AgentRole(args.role)
        agent = store.agents.add(args.name, args.display_name, role, password, COMMAND_LINE, args.display_name_en)
        print(f"added {agent.name} ({agent.role.value})" + (f"; password: {password}" if show else ""))
        return 0
    if args.command == "reset":
        password, show = _password(args)
        if not store.agents.reset_password(args.name, password, COMMAND_LINE):
            print(f"no agent called {args.name}", file=sys.stderr)
            return 1
        print(f"new password for {args.name}" + (f": {password}" if show else " set"))
        return 0
    done = store.assignment.set_disabled(args.name, args.command == "disable", COMMAND_LINE)
    print(f"{args.name} {args.command}d" if done else f"{args.name}: no such agent, or {args.command}d already")
    return 0 if done else 1


def main(argv: List[str]) -> int:
    # Imported here: the store is built of parts, this module among them.
    from mall.store import OrderStore

    args = _parser().parse_args(argv)
    store = OrderStore(settings.orders_database())
    try:
        return run(args, store)
    except AccountError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
