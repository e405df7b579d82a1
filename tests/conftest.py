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
