"""The widget while the Rasa server is down: it stays on the page with the conversation so
far, says it is reconnecting and gives the hotline, and carries on once Rasa is back."""

from __future__ import annotations

import pytest

from launcher.processes import free_port, start, stop, wait_until_up
from launcher.stack import page_env, rasa_command, running_actions, running_web, server_env, write_endpoints
from mall import support
from tests.browser import TIMEOUT_MS, Widget
from tests.support import demo_store, require_model

pytestmark = pytest.mark.browser

MALL_SECRET = "reconnect-test-mall-secret-of-32-chars"


def test_the_widget_waits_for_rasa_with_the_hotline_and_its_history(tmp_path, new_page):
    require_model()
    orders_db, rasa_port, web_port = tmp_path / "orders.db", free_port(), free_port()
    demo_store(orders_db).close()
    log = tmp_path / "rasa.log"

    def start_rasa(actions_port: int):
        origin = f"http://127.0.0.1:{web_port}"
        command = rasa_command(rasa_port, write_endpoints(tmp_path, actions_port), extra_args=["--cors", origin])
        # The chat socket admits the page's origin only (mall.settings.PAGE_ORIGINS_ENV).
        env = server_env(orders_db, tmp_path / "conversations.db", page_env([origin], MALL_SECRET))
        process = start(command, log, env)
        wait_until_up(f"http://127.0.0.1:{rasa_port}", process, log)
        return process

    with running_actions(tmp_path, orders_db) as actions:
        actions_port = int(actions.url.rsplit(":", 1)[1])
        rasa = start_rasa(actions_port)
        try:
            with running_web(tmp_path, rasa_port, orders_db, port=web_port) as web_url:
                page = new_page()
                widget = Widget(page)
                widget.load(web_url)
                widget.open()
                widget.wait_for_bot("支付助手")
                widget.send("分期有手续费吗")
                widget.wait_for_bot("手续费")

                stop(rasa)  # the assistant goes away under a connected widget
                state = page.locator(".rw-loading")
                state.wait_for(timeout=TIMEOUT_MS)
                assert support.HOTLINE in state.inner_text() and "连接" in state.inner_text()
                assert page.locator(".rw-launcher, .rw-conversation-container").count() >= 1
                assert "分期有手续费吗" in widget.transcript() and "手续费" in widget.transcript()

                rasa = start_rasa(actions_port)
                state.wait_for(state="detached", timeout=60_000)  # reconnected: the state goes
                widget.send("怎么分期付款")
                widget.wait_for_bot("去结算")
                assert "分期有手续费吗" in widget.transcript()  # the same conversation
        finally:
            stop(rasa)
