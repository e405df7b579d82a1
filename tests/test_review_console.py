"""The console's review (webapp.console_review): supervisors only; the misses grouped as
`make review` groups them, each with its conversation read from Rasa's tracker with phones
masked; labels that leave the list, refusals with their reasons, undo."""

from __future__ import annotations

from mall.training_file import read_examples
from tests.console_support import sign_in, signed_in, with_console

SENDER = "review-customer-1"
SAID = "我的号码是13912345678，能帮我查下吗 那个 东西"
MASKED = "我的号码是139****5678，能帮我查下吗 那个 东西"
CONVERSATION = [
    {"event": "user", "text": "你好", "timestamp": 1764990000.0},
    {"event": "bot", "text": "您好，我是支付助手", "timestamp": 1764990001.0},
    {"event": "user", "text": SAID, "timestamp": 1764990002.0},
    {"event": "bot", "text": "抱歉，我没听懂", "timestamp": 1764990003.0},
]


def test_an_agent_gets_403_everywhere_in_the_review(tmp_path, reviewed):
    async def scenario(client, rasa, store):
        store.misses.record(SENDER, SAID, "fallback", [("check_order_status", 0.4)], "zh")
        await sign_in(client, "wang")
        for method, path, body in [
            ("GET", "/agent/api/review", None),
            ("GET", f"/agent/api/review/conversations/{SENDER}", None),
            ("POST", "/agent/api/review/label", {"text": MASKED, "intent": "check_order_status"}),
            ("POST", "/agent/api/review/unlabel", {"text": MASKED}),
        ]:
            response = await client.request(method, path, json=body)
            assert response.status == 403, (path, await response.text())
        assert rasa.calls == [] and store.misses.unlabelled() and not reviewed.exists()
        page = await client.get("/agent/review")  # the console page; its API decides
        assert page.status == 200 and 'data-view="review"' in await page.text()

    with_console(tmp_path, scenario)


def test_a_supervisor_opens_the_conversation_labels_and_the_message_leaves(tmp_path, reviewed):
    async def scenario(client, rasa, store):
        rasa.events[SENDER] = CONVERSATION
        store.misses.record(SENDER, SAID, "fallback", [("check_order_status", 0.4)], "zh")
        store.misses.record("someone-else", "啥", "clarification", [("ask_help", 0.3)], "zh")
        await sign_in(client, "chen")
        listed = await (await client.get("/agent/api/review")).json()
        assert "out_of_scope" in listed["intents"] and "rate" not in listed["intents"]
        assert [group["intent"] for group in listed["groups"]] == ["ask_help", "check_order_status"]
        assert listed["groups"][1]["texts"] == [{"text": MASKED, "times": 1, "conversations": [SENDER]}]

        shown = await (await client.get(f"/agent/api/review/conversations/{SENDER}")).json()
        assert [(line["from"], line["text"]) for line in shown["messages"]][2] == ("customer", MASKED)
        assert "13912345678" not in str(shown)
        elsewhere = await client.get("/agent/api/review/conversations/never-missed")
        assert elsewhere.status == 404  # only conversations with a miss

        unknown = await client.post("/agent/api/review/label", json={"text": MASKED, "intent": "buy_a_phone"})
        assert unknown.status == 400
        labelled = await client.post("/agent/api/review/label", json={"text": MASKED, "intent": "check_order_status"})
        assert labelled.status == 200, await labelled.text()
        assert (await labelled.json())["added"] is True
        assert read_examples(reviewed)["check_order_status"] == [MASKED]
        after = await (await client.get("/agent/api/review")).json()
        assert [group["intent"] for group in after["groups"]] == ["ask_help"]  # the other one stays
        entry = store.audit.recent(1)[0]
        assert (entry.actor, entry.action, entry.subject) == ("chen", "label", "check_order_status")

        undone = await client.post("/agent/api/review/unlabel", json={"text": MASKED})
        assert (undone.status, (await undone.json())["was"]) == (200, "check_order_status")
        assert MASKED in str(await (await client.get("/agent/api/review")).json())
        assert "check_order_status" not in read_examples(reviewed)

    with_console(tmp_path, scenario)


def test_an_example_of_another_intent_is_a_409_with_the_reason(tmp_path, reviewed):
    async def scenario(client, rasa, store):
        store.misses.record(SENDER, "谢谢", "clarification", [("thank", 0.5)], "zh")  # thank's, in data/nlu
        async with signed_in(client, "chen") as chen:
            refused = await chen.post("/agent/api/review/label", {"text": "谢谢", "intent": "goodbye"})
            assert refused.status == 409
            assert "thank" in await refused.text() and "two intents" in await refused.text()
            same = await chen.post("/agent/api/review/label", {"text": "谢谢", "intent": "thank"})
            assert same.status == 200 and (await same.json())["added"] is False
        assert not reviewed.exists() or read_examples(reviewed) == {}

    with_console(tmp_path, scenario)
