"""Which conversations have a widget connected, and what was said while none was."""

from __future__ import annotations

from mall.conversations import ConversationLog


def test_presence_follows_the_sockets_of_a_conversation(tmp_path):
    log = ConversationLog(tmp_path / "c.db")
    assert log.presence("conv").online is False and log.presence("conv").left_at is None
    assert log.socket_joined("sid-1", "conv", "host:1", at=10.0) is None  # never left before
    log.socket_joined("sid-2", "conv", "host:1", at=11.0)  # a second tab
    log.socket_left("sid-1", at=12.0)
    assert log.presence("conv").online is True
    log.socket_left("sid-2", at=13.0)
    assert (log.presence("conv").online, log.presence("conv").left_at) == (False, 13.0)
    # Back: what was said since 13.0 has not been seen.
    assert log.socket_joined("sid-3", "conv", "host:1", at=20.0) == 13.0
    assert log.socket_joined("sid-4", "conv", "host:1", at=21.0) is None  # sid-3 saw it


def test_sockets_of_a_server_that_is_gone_are_forgotten(tmp_path):
    log = ConversationLog(tmp_path / "c.db")
    log.socket_joined("sid-1", "conv", "host:99999", at=1.0)
    log.forget_sockets(["host:99999"], at=5.0)
    assert (log.presence("conv").online, log.presence("conv").left_at) == (False, 5.0)


def test_bot_messages_since_a_moment(tmp_path):
    log = ConversationLog(tmp_path / "c.db")
    events = [
        {"event": "bot", "text": "before", "timestamp": 1.0},
        {"event": "user", "text": "hi", "timestamp": 2.0},
        {"event": "bot", "text": "from the agent", "timestamp": 3.0, "metadata": {"from_agent": True}},
    ]
    log.append("conv", 0, events)
    assert [event["text"] for event in log.bot_messages_since("conv", 1.5)] == ["from the agent"]
