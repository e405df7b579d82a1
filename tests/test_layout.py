"""The package boundaries: a framework-free core that everything else imports, and no
imports between the action server, the Rasa add-ons and the web app."""

from __future__ import annotations

import ast
from typing import Set

import pytest

from mall import settings

PRODUCT_PACKAGES = ("mall", "actions", "rasa_addons", "webapp", "launcher")
# What each package must never import (top-level module names).
FORBIDDEN = {
    "mall": {"rasa", "rasa_sdk", "actions", "rasa_addons", "webapp", "launcher"},
    "actions": {"rasa", "rasa_addons", "webapp", "launcher"},
    "rasa_addons": {"rasa_sdk", "actions", "webapp", "launcher"},
    "webapp": {"rasa", "rasa_sdk", "actions", "rasa_addons", "launcher"},
    "launcher": {"rasa", "rasa_sdk", "actions", "rasa_addons", "webapp"},
}


def imported_modules(package: str) -> Set[str]:
    names: Set[str] = set()
    for source in (settings.ROOT / package).glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_dependencies_point_one_way(package):
    assert imported_modules(package) & FORBIDDEN[package] == set()


def test_everything_else_builds_on_the_core():
    for package in ("actions", "rasa_addons", "webapp", "launcher"):
        assert "mall" in imported_modules(package), package


SIZED_PACKAGES = (*PRODUCT_PACKAGES, "bench", "scripts")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def test_no_file_over_400_lines_and_no_function_over_60():
    too_long = []
    for package in SIZED_PACKAGES:
        for source in sorted((settings.ROOT / package).rglob("*.py")):
            text = source.read_text()
            name = str(source.relative_to(settings.ROOT))
            if text.count("\n") > MAX_FILE_LINES:
                too_long.append(f"{name}: {text.count(chr(10))} lines")
            for node in ast.walk(ast.parse(text, name)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_rasa_projects_layout_at_the_root():
    """What `rasa train`, `rasa test` and `rasa data validate` look for with no flags."""
    for name in ("domain.yml", "config.yml", "endpoints.yml", "credentials.yml", "data"):
        assert (settings.ROOT / name).exists(), name
    assert not (settings.ROOT / "domain").exists()


def test_settings_is_the_only_reader_of_the_environment():
    readers = [
        str(source.relative_to(settings.ROOT))
        for package in PRODUCT_PACKAGES
        for source in (settings.ROOT / package).glob("*.py")
        if "os.environ" in source.read_text() or "getenv(" in source.read_text()
    ]
    # The launcher hands its environment on to the servers it starts.
    assert sorted(readers) == ["launcher/backing.py", "launcher/stack.py", "mall/settings.py"]


def test_actions_port_comes_from_endpoints_yml():
    url = settings.endpoints()["action_endpoint"]["url"]
    assert url.endswith(f":{settings.actions_port()}/webhook")
    moved = settings.endpoints_for(6123)
    assert moved["action_endpoint"]["url"] == url.replace(str(settings.actions_port()), "6123")
    assert {k: v for k, v in moved.items() if k != "action_endpoint"} == {
        k: v for k, v in settings.endpoints().items() if k != "action_endpoint"
    }


def test_the_conversation_store_is_named_in_settings_only():
    """Tests and benchmarks give each run its own CONVERSATIONS_DB; a path in endpoints.yml
    would make every run share one file."""
    assert set(settings.endpoints()["tracker_store"]) == {"type"}
