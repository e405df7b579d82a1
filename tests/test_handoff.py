"""Handing off to a human: a ticket with what the agent needs, and what to tell the customer."""

import json

from actions.handoff import ActionHandoffToHuman, ActionHandoffUpdate, ActionHandoffWaiting
from actions.order_lookup import ActionLookupOrder
from mall import support
from mall.agents import AgentRole
from mall.conversations import ConversationLog, NewWindow
from mall.tickets import TicketStatus
from mall.transcripts import TRANSCRIPT_MAX_CHARS
from tests.support import run, tracker, user_event


def ticket(store, ticket_id):
    return store.tickets.get(ticket_id)


def test_in_the_widget_the_conversation_waits_for_the_agent(store, domain):
    result = run(ActionHandoffToHuman(), tracker({}, text="转人工", intent="request_human", channel="socketio"), domain)
    assert result.responses == ["utter_handoff_agent_joins", "utter_handoff_queue_no_estimate"]
    assert result.messages[1]["queue_position"] == 1  # nobody online, no first response yet to go by
    assert result.slots[support.WAITING_FOR_AGENT_SLOT] is True
    assert store.tickets.get(result.slots["handoff_ticket_id"]).status == "open"


def test_with_an_agent_online_the_customer_is_told_who_joined_in_their_language(store, domain):
    store.agents.add("wang", "小王", AgentRole.AGENT, "password-wang", "test", display_name_en="Wang")
    store.agents.seen(["wang"])
    for text, name in (("转人工", "小王"), ("a human please", "Wang")):
        asked = tracker({}, text=text, intent="request_human", channel="socketio", sender=f"joined-{name}")
        result = run(ActionHandoffToHuman(), asked, domain)
        assert result.responses == ["utter_handoff_agent_joins", "utter_handoff_agent_assigned"]
        assert result.messages[1]["agent_name"] == name
        assert store.tickets.get(result.slots["handoff_ticket_id"]).assigned_to == "wang"


def test_without_a_live_channel_the_customer_gets_the_hotline_and_the_bot_goes_on(store, domain):
    result = run(ActionHandoffToHuman(), tracker({}, text="转人工", intent="request_human", channel="cmdline"), domain)
    assert result.responses == ["utter_handoff_ticket_created"]
    assert support.WAITING_FOR_AGENT_SLOT not in result.slots


def test_customer_request_creates_an_open_ticket(store, domain):
    earlier = [user_event("my phone is 13800001234", "inform"), {"event": "bot", "text": "OK", "timestamp": 1}]
    result = run(
        ActionHandoffToHuman(),
        tracker({}, text="I want a human", intent="request_human", events=earlier, sender="conv-7"),
        domain,
    )
    assert result.responses == ["utter_handoff_ticket_created"]
    ticket_id = result.slots["handoff_ticket_id"]
    assert result.messages[0]["ticket_id"] == ticket_id
    row = ticket(store, ticket_id)
    assert (row.sender_id, row.reason, row.status, row.language, row.order_id) == (
        "conv-7",
        "customer_request",
        "open",
        "en",
        None,
    )
    transcript = list(row.transcript)
    assert [line["from"] for line in transcript] == ["customer", "assistant", "customer"]
    assert "138****1234" in transcript[0]["text"] and "13800001234" not in json.dumps(transcript)


def test_paid_order_ticket_carries_the_order_and_requested_method(store, domain):
    slots = {
        "order_id": "5201121000000002",
        "verified_order_id": "5201121000000002",
        "phone_tail": "1234",
        "order_status": "paid",
        "new_payment_method": "alipay",
        "handoff_reason": "paid_order",
    }
    result = run(ActionHandoffToHuman(), tracker(slots, text="换成支付宝", latest_action="action_lookup_order"), domain)
    row = ticket(store, result.slots["handoff_ticket_id"])
    assert (row.reason, row.order_id, row.requested_method, row.language) == (
        "paid_order",
        "5201121000000002",
        "alipay",
        "zh",
    )
    assert result.slots["handoff_reason"] is None  # the next ticket has its own reason


def test_the_reason_comes_from_the_lookup_that_decided_the_handoff(store, domain):
    lookup = run(ActionLookupOrder(), tracker({"verification_failed": True}), domain)
    handoff = run(ActionHandoffToHuman(), tracker(lookup.slots, text="好的", intent="affirm"), domain)
    assert ticket(store, handoff.slots["handoff_ticket_id"]).reason == "verification_failed"


def test_a_long_conversation_is_in_the_ticket_whole(tmp_path, store, domain):
    """The action server gets only the dialogue window (rasa_addons.tracker_store); the ticket
    still carries every message before it, read from the stored conversation."""
    log = ConversationLog(tmp_path / "conversations.db")
    earlier = []
    for number in range(30):
        earlier += [
            {"event": "user", "text": f"question {number}", "timestamp": 2.0 * number},
            {"event": "bot", "text": f"answer {number}", "timestamp": 2.0 * number + 1},
        ]
    log.append("long-1", 0, earlier, NewWindow(len(earlier) - 4, []))
    window = earlier[-4:]
    result = run(
        ActionHandoffToHuman(),
        tracker({}, text="转人工", intent="request_human", events=window, sender="long-1"),
        domain,
    )
    lines = list(ticket(store, result.slots["handoff_ticket_id"]).transcript)
    assert [line["text"] for line in lines] == [event["text"] for event in earlier] + ["转人工"]


def test_a_very_long_conversation_is_cut_by_size_and_says_so(store, domain):
    window = [{"event": "user", "text": "很长的问题" * 500, "timestamp": float(n)} for n in range(20)]
    result = run(ActionHandoffToHuman(), tracker({}, text="转人工", intent="request_human", events=window), domain)
    lines = list(ticket(store, result.slots["handoff_ticket_id"]).transcript)
    assert sum(len(line["text"]) for line in lines[1:]) <= TRANSCRIPT_MAX_CHARS
    assert lines[0]["from"] == "system" and "left out" in lines[0]["text"] and lines[-1]["text"] == "转人工"


def test_database_down_still_answers_with_the_hotline(store, domain, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(type(store.tickets), "open", unavailable)
    result = run(ActionHandoffToHuman(), tracker({}, text="转人工", intent="request_human"), domain)
    assert result.responses == [support.APOLOGY_RESPONSE] and result.events == []


# -- what a ticket holds as fact --------------------------------------------------------------


def test_an_order_number_given_without_proof_is_kept_apart_and_marked(store, domain):
    slots = {"order_id": "5201121000000002", "new_payment_method": "alipay"}
    result = run(ActionHandoffToHuman(), tracker(slots, text="转人工", intent="request_human"), domain)
    row = ticket(store, result.slots["handoff_ticket_id"])
    assert (row.order_id, row.claimed_order_id) == (None, "5201121000000002")


def test_a_proved_order_whose_phone_no_longer_matches_is_not_a_fact(store, domain):
    slots = {"order_id": "5201121000000002", "verified_order_id": "5201121000000002", "phone_tail": "9999"}
    result = run(ActionHandoffToHuman(), tracker(slots, text="转人工", intent="request_human"), domain)
    row = ticket(store, result.slots["handoff_ticket_id"])
    assert (row.order_id, row.claimed_order_id) == (None, "5201121000000002")


def test_only_canonical_payment_methods_and_order_numbers_are_stored(store, domain):
    slots = {"order_id": "' OR 1=1; --", "new_payment_method": "<b>bitcoin</b>'; DROP TABLE orders"}
    result = run(ActionHandoffToHuman(), tracker(slots, text="转人工", intent="request_human"), domain)
    row = ticket(store, result.slots["handoff_ticket_id"])
    assert (row.order_id, row.claimed_order_id, row.requested_method) == (None, None, None)


# -- one ticket, the agents' hours, and the wait ------------------------------------------------


def handoff(store, domain, sender="widget-1", channel="socketio"):
    return run(
        ActionHandoffToHuman(),
        tracker({}, text="转人工", intent="request_human", channel=channel, sender=sender),
        domain,
    )


def test_asking_again_gives_the_same_open_ticket(store, domain):
    first = handoff(store, domain, channel="rest").slots["handoff_ticket_id"]
    again = handoff(store, domain, channel="rest").slots["handoff_ticket_id"]
    assert again == first and len(store.tickets.listed()) == 1
    store.tickets.close(first)
    assert handoff(store, domain, channel="rest").slots["handoff_ticket_id"] != first


def test_outside_the_agents_hours_the_ticket_opens_and_the_chat_goes_on(store, domain, monkeypatch):
    monkeypatch.setattr(support, "agents_available", lambda now=None: False)
    result = handoff(store, domain)
    assert result.responses == ["utter_handoff_after_hours"]
    assert support.WAITING_FOR_AGENT_SLOT not in result.slots
    row = ticket(store, result.slots["handoff_ticket_id"])
    assert (row.status, row.live) == ("open", False)


def waiting(store, domain, sender, text="有人吗？？", intent="ask_help"):
    slots = {"handoff_ticket_id": store.tickets.open_for(sender).ticket_id}
    return run(ActionHandoffWaiting(), tracker(slots, text=text, intent=intent, sender=sender), domain)


def test_a_waiting_customer_is_told_their_place_in_the_queue(store, domain):
    handoff(store, domain, sender="first")
    handoff(store, domain, sender="second")
    result = waiting(store, domain, "second")
    assert result.responses == ["utter_handoff_waiting", "utter_handoff_queue_no_estimate"]
    assert result.messages[1]["queue_position"] == 2
    store.agents.add("li", "小李", AgentRole.AGENT, "password-li", "test")
    store.assignment.claim(store.tickets.open_for("first").ticket_id, store.agents.get("li"))
    assert waiting(store, domain, "second").messages[1]["queue_position"] == 1
    result = waiting(store, domain, "first")  # taken, no reply yet
    assert result.responses == ["utter_handoff_agent_coming"] and result.messages[0]["agent_name"] == "小李"


def test_the_console_tells_a_waiting_customer_once_what_changed(store, domain):
    handoff(store, domain, sender="ahead")
    handoff(store, domain, sender="behind")
    update = tracker({support.WAITING_FOR_AGENT_SLOT: True}, sender="behind")
    result = run(ActionHandoffUpdate(), update, domain)
    assert result.responses == []  # told at the handoff already
    assert [(event["event"], event["name"]) for event in result.events] == [("action", "action_listen")]
    store.tickets.cancel(store.tickets.open_for("ahead").ticket_id)  # the queue moved
    result = run(ActionHandoffUpdate(), update, domain)
    assert result.responses == ["utter_handoff_queue_no_estimate"] and result.messages[0]["queue_position"] == 1
    assert run(ActionHandoffUpdate(), update, domain).responses == []  # told already


def test_the_assistant_never_talks_over_an_agent_who_joined(store, domain):
    handoff(store, domain, sender="joined")
    store.tickets.agent_replied(store.tickets.open_for("joined").ticket_id, "li")
    result = waiting(store, domain, "joined", text="不用了", intent="deny")
    assert result.responses == [] and result.events == []
    assert store.tickets.open_for("joined") is not None  # a "no" to the agent does not cancel
    assert store.tickets.open_for("joined").last_customer_message_at is not None  # not idle


def test_never_mind_while_waiting_hands_back_to_the_assistant(store, domain):
    ticket_id = handoff(store, domain, sender="changed-mind").slots["handoff_ticket_id"]
    result = waiting(store, domain, "changed-mind", text="算了", intent="deny")
    assert result.responses == ["utter_handoff_cancelled"]
    assert result.slots[support.WAITING_FOR_AGENT_SLOT] is None
    assert store.tickets.get(ticket_id).status == "cancelled"
    assert store.tickets.listed(TicketStatus.OPEN) == []


def test_after_hours_the_waiting_customer_gets_the_hours(store, domain, monkeypatch):
    handoff(store, domain, sender="late")
    monkeypatch.setattr(support, "agents_available", lambda now=None: False)
    assert waiting(store, domain, "late").responses == ["utter_handoff_waiting_closed"]
