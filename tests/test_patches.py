"""The project's changes to Rasa's own code: as few as there are no doors for, installed by
one explicit, version-checked call, each doing what it is for. (The apology when the action
server fails: tests/test_apology.py, and end to end tests/test_injected_faults.py.)"""

from __future__ import annotations

import logging

import pytest
import rasa

from mall.privacy import install_log_masking
from rasa_addons import action_calls, patches, repeated_work


def test_importing_the_add_ons_changes_nothing_in_rasa():
    import subprocess
    import sys

    probe = (
        "import rasa_addons.nlg, rasa_addons.tracker_store, rasa_addons.digit_entities, rasa_addons.door,"
        " rasa_addons.rest_channel, rasa_addons.socketio_channel, rasa_addons.policies, rasa_addons.crf_entities;"
        "from rasa_addons.patches import all_patches;"
        "print(any(patch.is_installed() for patch in all_patches()))"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_install_wraps_each_patched_method_once():
    patches.install()
    first = [getattr(patch.owner, patch.attribute) for patch in patches.all_patches()]
    patches.install()
    assert [getattr(patch.owner, patch.attribute) for patch in patches.all_patches()] == first
    assert all(patch.is_installed() for patch in patches.all_patches())
    assert len({(patch.owner, patch.attribute) for patch in patches.all_patches()}) == len(first) == 5


PROJECT_PACKAGES = ("mall", "actions", "rasa_addons", "webapp", "launcher")


def replaced_rasa_methods():
    """Attributes of Rasa's classes whose function is this project's."""
    import inspect
    import sys

    replaced = set()
    for name, module in list(sys.modules.items()):
        if not (name == "rasa" or name.startswith("rasa.")) or module is None:
            continue
        for owner in vars(module).values():
            if not inspect.isclass(owner) or not owner.__module__.startswith("rasa"):
                continue
            for attribute, value in vars(owner).items():
                function = getattr(value, "__func__", value)
                if callable(function) and getattr(function, "__module__", "").split(".")[0] in PROJECT_PACKAGES:
                    replaced.add(f"{owner.__module__}.{owner.__qualname__}.{attribute}")
    return replaced


def test_at_most_six_rasa_methods_are_replaced_once_a_server_has_started():
    """What a server's start does (rasa_addons.startup), with every module a server loads imported."""
    import rasa.core.run
    import rasa.core.tracker_store  # noqa: F401
    from sanic import Sanic

    from rasa_addons import door, policies, rest_channel, socketio_channel, startup  # noqa: F401

    startup.before_start(Sanic("patch-count-probe"))
    replaced = replaced_rasa_methods()
    assert replaced == {f"{p.owner.__module__}.{p.owner.__qualname__}.{p.attribute}" for p in patches.all_patches()}
    assert len(replaced) <= 6


def test_every_patch_says_why_no_door_does_it():
    assert all(":" in patch.why for patch in patches.all_patches())


def test_another_rasa_release_is_refused(monkeypatch):
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(patches.UnsupportedRasa, match=r"3\.6\.21"):
        patches.check_supported(patches.all_patches())


def test_a_vanished_method_is_refused():
    class Empty:
        pass

    gone = patches.Patch(Empty, "_run_action", lambda original: original, "test")
    with pytest.raises(patches.UnsupportedRasa, match="_run_action is gone"):
        patches.check_supported((gone,))


def test_compiled_validation_accepts_what_rasa_accepts_and_rejects_the_rest():
    calls = []

    def rasa_validation(action, result):
        calls.append(result)
        return False

    validate = action_calls.compiled_validation(rasa_validation)
    assert validate(None, {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []}) is True
    assert calls == []  # valid: Rasa's own (slow) validation never runs
    assert validate(None, {"events": "not a list"}) is False
    assert calls == [{"events": "not a list"}]  # invalid: Rasa's own error message


def test_the_nodes_a_run_needs_are_worked_out_once_per_target_and_schema():
    from rasa.engine.graph import GraphSchema

    calls = []

    def rasa_minimal_schema(schema, targets=None):
        calls.append((id(schema), targets))
        return GraphSchema({name: node for name, node in schema.nodes.items() if name in (targets or [])})

    minimal = repeated_work.remember_minimal_schemas(rasa_minimal_schema)
    first, second = GraphSchema({}), GraphSchema({})
    assert minimal(first, ["nlu"]) is minimal(first, ["nlu"])
    minimal(first, ["policy"])
    minimal(second, ["nlu"])
    assert calls == [(id(first), ["nlu"]), (id(first), ["policy"]), (id(second), ["nlu"])]


def test_event_types_resolve_as_rasa_resolves_them():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    resolve = repeated_work.remember_event_types(Event.resolve_by_type)
    for event_class in all_subclasses(Event):
        rasas = next(known for known in all_subclasses(Event) if known.type_name == event_class.type_name)
        assert resolve(event_class.type_name) is rasas
        assert resolve(event_class.type_name) is rasas  # remembered
    assert resolve("no such event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve("no such event")


def test_log_records_never_carry_a_full_mobile_number(caplog):
    install_log_masking()
    logger = logging.getLogger("rasa.core.processor")
    with caplog.at_level(logging.INFO):
        logger.info("Received user message '%s'", "我的手机号13800001234")
        logger.info("phone %s and %s", "13912345678", 42)
    assert [record.getMessage() for record in caplog.records] == [
        "Received user message '我的手机号138****1234'",
        "phone 139****5678 and 42",
    ]
