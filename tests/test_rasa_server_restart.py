"""Conversations live in the SQL tracker store: a restarted Rasa server continues them."""

from __future__ import annotations

import pytest
import requests

from launcher.stack import free_port, running_actions, running_rasa
from tests.support import require_model

pytestmark = pytest.mark.conversation


def say(rasa_url: str, sender: str, text: str) -> str:
    replies = requests.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    return "\n".join(reply.get("text", "") for reply in replies.json())


def test_restarted_server_continues_the_open_question(tmp_path):
    require_model()
    orders_db = tmp_path / "orders.db"
    actions_port = free_port()
    with running_actions(tmp_path, orders_db, actions_port):
        with running_rasa(tmp_path, actions_port, orders_db) as rasa_url:
            assert "后4位" in say(rasa_url, "restart-1", "订单5201121000000001想换支付方式")
            assert "哪种支付方式" in say(rasa_url, "restart-1", "1234")
        # The Rasa server is gone; a new one reads the same conversation store.
        with running_rasa(tmp_path, actions_port, orders_db) as rasa_url:
            reply = say(rasa_url, "restart-1", "支付宝")
            assert "请确认" in reply and "5201121000000001" in reply
