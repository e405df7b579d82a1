"""Fixtures: a fresh orders database per test, the domain, the running assistant."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from actions import services
from mall import demo, settings
from mall.store import OrderStore
from tests.support import assistant_domain, require_model

# Agents are at work whatever the time of day the tests run (mall.support); the servers the
# tests start inherit this. Tests of the hours set their own.
os.environ.setdefault(settings.AGENT_HOURS_ENV, "0:00-24:00")


@pytest.fixture(scope="session", autouse=True)
def reviewed_nlu_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes labels into the project's data/: every test, and every server a test
    starts (they inherit the environment), writes them to a file of the session's own.
    Tests of labelling set a file of their own (the `reviewed` fixture)."""
    path = tmp_path_factory.mktemp("reviewed") / "reviewed.yml"
    before = os.environ.get(settings.REVIEWED_NLU_ENV)
    os.environ[settings.REVIEWED_NLU_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(settings.REVIEWED_NLU_ENV, None)
    else:
        os.environ[settings.REVIEWED_NLU_ENV] = before


@pytest.fixture
def reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The supervisors' training file of this test (none yet)."""
    path = tmp_path / "nlu" / "reviewed.yml"
    monkeypatch.setenv(settings.REVIEWED_NLU_ENV, str(path))
    return path


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderStore]:
    """The order store the actions use, on a new database with the demo orders; the
    conversation log the actions read is new too."""
    monkeypatch.setenv(settings.ORDERS_DB_ENV, str(tmp_path / "orders.db"))
    monkeypatch.setenv(settings.CONVERSATIONS_DB_ENV, str(tmp_path / "conversations.db"))
    services._open_store.cache_clear()
    services._open_log.cache_clear()
    opened = services.order_store()
    yield opened
    opened.close()
    services._open_store.cache_clear()
    services._open_log.cache_clear()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One PostgreSQL for the session, started only if a test asks for it. Its data folder
    is not under pytest's tmp_path: those are private to root (0700) and PostgreSQL runs as
    the postgres user."""
    from launcher.backing import running_postgres

    directory = Path(tempfile.mkdtemp(prefix="pg-test-"))
    directory.chmod(0o755)
    try:
        with running_postgres(directory) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


_DATABASES = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database on each backend: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "orders.db")
    from tests.support import new_postgres_database

    return new_postgres_database(request.getfixturevalue("postgres_server"), f"test_{next(_DATABASES)}")


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return assistant_domain().as_dict()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    """Action server and Rasa server (REST) on loopback, shared by the conversation tests."""
    from launcher.stack import running_assistant

    require_model()
    with running_assistant(tmp_path_factory.mktemp("assistant")) as running:
        yield running


def demo_orders(path: Path) -> Iterator[OrderStore]:
    """The order database at `path`, back at the demo state, closed afterwards."""
    opened = OrderStore(path)
    demo.reset(opened)
    yield opened
    opened.close()


@pytest.fixture
def orders(assistant) -> Iterator[OrderStore]:
    """The database the running action server uses, back at the demo state."""
    yield from demo_orders(assistant.orders_db)


@pytest.fixture
def site_orders(site) -> Iterator[OrderStore]:
    """The database of the running site, back at the demo state, with no agent online (so
    a new ticket waits in the queue until a test's agent opens the console)."""
    from tests.console_support import nobody_online

    for opened in demo_orders(site.orders_db):
        nobody_online(opened)
        yield opened


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Action server, Rasa server, the mall page and the agent console, on loopback."""
    from launcher.stack import AgentAccess, running_assistant
    from tests.browser import CHROMIUM
    from tests.console_support import add_accounts

    require_model()
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with running_assistant(tmp_path_factory.mktemp("site"), with_web=True, agent=AgentAccess()) as running:
        accounts = OrderStore(running.orders_db)
        add_accounts(accounts)  # the agents of tests.console_support, who sign in to the console
        accounts.close()
        yield running


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API runs an event loop on the main thread while the
    browser is open, and other tests need to start their own (asyncio.run)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (separate storage: separate customers)."""
    contexts = []

    def open_page(locale: str = "zh-CN"):
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale=locale)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
