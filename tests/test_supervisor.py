"""`make serve` keeps the chat up when the action server dies: the supervisor (the same
service list as `make serve`, on free ports) restarts it while Rasa and the page stay up, and
customers get the apology meanwhile, never "connection refused"."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import requests

from launcher.__main__ import ServeConfig, serve_services
from launcher.processes import answers, free_port
from launcher.stack import write_endpoints
from launcher.supervisor import Supervisor
from mall import settings, support
from tests.support import demo_store, require_model, wait_until

pytestmark = pytest.mark.conversation
STARTUP_SECONDS = 240


def test_a_killed_action_server_is_restarted_and_the_chat_stays_up(tmp_path):
    require_model()
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    demo_store(tmp_path / "orders.db").close()
    config = ServeConfig(
        actions_port=actions_port,
        rasa_port=rasa_port,
        web_port=web_port,
        rasa_token="test-token",
        orders_db=tmp_path / "orders.db",
        conversations_db=tmp_path / "conversations.db",
        endpoints=write_endpoints(tmp_path, actions_port),
        logs=tmp_path / "log",
    )
    services = serve_services(config)
    said = []
    supervisor = Supervisor(services, say=said.append, run_dir=tmp_path / "run")
    ready = threading.Event()
    running = threading.Thread(target=supervisor.run, args=(ready.set,), kwargs={"handle_signals": False})
    running.start()
    rasa = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"

    def say(text: str) -> str:
        replies = requests.post(rasa, json={"sender": "supervised", "message": text}, timeout=60).json()
        return "\n".join(reply.get("text", "") for reply in replies)

    try:
        assert ready.wait(STARTUP_SECONDS), f"the servers did not come up: {said}"
        actions = next(service for service in services if service.name == "actions")
        assert "订单号" in say("我想换个支付方式")

        os.killpg(actions.process.pid, signal.SIGKILL)  # as a crash would
        actions.process.wait()
        apology = say("5201121000000001")
        assert "系统暂时没有响应" in apology and support.HOTLINE in apology
        assert answers(f"http://127.0.0.1:{web_port}/")  # the page is still there

        wait_until(lambda: actions.restarts == 1 and answers(actions.health_url), 120, "the restart")
        assert "后4位" in say("5201121000000001")  # the same question, the conversation goes on
        assert "还没有支付" in say("1234")
        assert any("actions exited" in line for line in said)
        assert (tmp_path / "run" / "actions.pid").read_text().strip() == str(actions.process.pid)
    finally:
        supervisor.stop()
        running.join(timeout=120)
    assert not any(service.process and service.process.poll() is None for service in services)
    assert not list((tmp_path / "run").glob("*.pid"))


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_a_token(tmp_path):
    """secrets.token_urlsafe can start with "-": as a separate argument argparse took it
    for an option and `rasa run` refused to start (about one run in 32)."""
    config = ServeConfig(1, 2, 3, "-starts-with-a-dash", "secret", tmp_path / "o.db", tmp_path / "c.db")
    rasa = next(service for service in serve_services(config) if service.name == "rasa-1")
    assert "--jwt-secret=-starts-with-a-dash" in rasa.command


def test_the_mall_secret_goes_to_the_page_and_rasa_only(tmp_path):
    config = ServeConfig(1, 2, 3, "token", "secret", tmp_path / "o.db", tmp_path / "c.db")
    services = {service.name: service for service in serve_services(config)}
    assert len(config.mall_secret) >= 32
    for name in ("web", "rasa-1"):
        assert services[name].env[settings.MALL_SECRET_ENV] == config.mall_secret
    assert settings.MALL_SECRET_ENV not in services["actions"].env
    assert services["rasa-1"].env[settings.PAGE_ORIGINS_ENV] == "http://localhost:3,http://127.0.0.1:3"
    assert not any(config.mall_secret in part for service in services.values() for part in service.command)
