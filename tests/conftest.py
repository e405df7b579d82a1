"""Fixtures: a fresh orders database per test, the domain, the running assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from actions import store as store_module
from actions.store import OrderStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderStore]:
    """The order store the actions use, on a new database with the demo orders."""
    monkeypatch.setenv("ORDERS_DB", str(tmp_path / "orders.db"))
    store_module._open_store.cache_clear()
    opened = store_module.order_store()
    yield opened
    opened.close()
    store_module._open_store.cache_clear()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "domain")).as_dict()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Action server, Rasa server, the mall page and the agent console, on loopback."""
    from devtools.servers import MODEL, AgentAccess, running_assistant
    from tests.browser import CHROMIUM

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with running_assistant(tmp_path_factory.mktemp("site"), with_web=True, agent=AgentAccess()) as running:
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
