"""Shared by the tests: the domain, the model check, new orders, and building rasa_sdk
trackers and running actions the way the action server does."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Union

import pytest
import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from launcher.backing import Postgres
from launcher.stack import Assistant
from mall import demo, settings
from mall.demo import DEMO_ORDER_IDS
from mall.identity import Identity, checked_metadata
from mall.language import message_language
from mall.migrations import orders as orders_table
from mall.store import OrderStore

if TYPE_CHECKING:
    from rasa.shared.core.domain import Domain

SCREENSHOTS = settings.OUT / "screenshots"


@cache
def assistant_domain() -> Domain:
    """The domain as Rasa trains it: domain.yml and the responses in data/responses/."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(settings.ROOT / "domain.yml"), training_data_paths=[str(settings.ROOT / "data")]
    )
    return importer.get_domain()


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> None:
    """Until `condition()` holds (an event seen by polling), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)


async def until(condition: Callable[[], Any], seconds: float, what: str) -> None:
    """wait_until, inside a coroutine: the event loop goes on meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        await asyncio.sleep(0.05)


def require_model() -> None:
    if not settings.MODEL.exists():
        pytest.fail(f"{settings.MODEL} is missing: run `make train` first")


class Chat:
    """One customer's conversation with a running assistant, through the REST channel."""

    def __init__(self, assistant: Assistant, metadata: Optional[Dict[str, Any]] = None):
        self.assistant = assistant
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.metadata = metadata
        self.replies: List[Dict[str, Any]] = []

    def say(self, text: str) -> str:
        self.replies = self.assistant.say(self.sender, text, self.metadata)
        return self.text

    def click(self, title: str) -> str:
        payload = next(b["payload"] for b in self.buttons if b["title"] == title)
        return self.say(payload)

    @property
    def text(self) -> str:
        return "\n".join(reply.get("text", "") for reply in self.replies)

    @property
    def buttons(self) -> List[Dict[str, str]]:
        return [button for reply in self.replies for button in reply.get("buttons", [])]


def chinese(text: str) -> bool:
    """Written in Chinese (an English reply may still quote a Chinese button label)."""
    return message_language(text) == "zh"


def demo_store(path: Union[str, Path], clock: Optional[Callable[[], datetime]] = None) -> OrderStore:
    """A store on `path` (a file or a database URL) holding the demo orders (as the action
    server's first start leaves it)."""
    store = OrderStore(path, clock=clock) if clock else OrderStore(path)
    demo.init(store)
    return store


def order_rows(store: OrderStore) -> List[Dict[str, Any]]:
    """Every order as stored (a row per order, `items` as JSON text)."""
    return store.db.rows(sa.select(orders_table).order_by(orders_table.c.order_id))


def new_orders(store: OrderStore) -> List[Dict[str, Any]]:
    """Orders that are not demo orders: what cancel-and-reorder created."""
    return [row for row in order_rows(store) if row["order_id"] not in DEMO_ORDER_IDS]


def new_postgres_database(server: Postgres, name: str) -> str:
    """A new database on a running PostgreSQL; its URL."""
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A test's commits need not survive a power cut: no waiting for the disk at each.
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + "/" + name


@dataclass
class ActionResult:
    events: List[Dict[str, Any]]
    responses: List[str]
    messages: List[Dict[str, Any]]

    @property
    def slots(self) -> Dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}

    @property
    def followup(self) -> Optional[str]:
        return next((e["name"] for e in self.events if e.get("event") == "followup"), None)


def user_event(
    text: str, intent: str = "inform", entities: Iterable[Dict] = (), metadata=None, channel: str = "rest"
) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "metadata": metadata or {},
        # As Rasa's tracker state has it: the latest message's metadata is in its parse data.
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.99},
            "entities": list(entities),
            "text": text,
            "metadata": metadata or {},
        },
    }


def signed_in(customer_id: str, seconds: float = 600) -> Dict[str, Any]:
    """A message's metadata as the socket.io channel leaves it for a good customer token."""
    return checked_metadata({"language": "zh"}, Identity(customer_id, time.time() + seconds), client="test-client")


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value}


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Iterable[Dict] = (),
    events: Iterable[Dict[str, Any]] = (),
    latest_action: Optional[str] = None,
    sender: str = "customer-1",
    channel: str = "rest",
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A tracker whose latest user message is `text` (with `metadata`, as the channel left
    it), after the given earlier events."""
    latest = user_event(text, intent, entities, metadata, channel=channel)
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message=latest["parse_data"],
        events=[*events, latest],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=latest_action,
    )


def form_turn(
    form: str,
    before: Dict[str, Any],
    extracted: Dict[str, Any],
    text: str = "",
    entities: Iterable[Dict] = (),
    sender: str = "customer-1",
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """The tracker a form's validation action receives: the slots Rasa extracted from
    the latest message are the SlotSet events after the form's ActionExecuted."""
    latest = user_event(text, "inform", entities, metadata)
    events = [latest, {"event": "action", "name": form}] + [
        {"event": "slot", "name": name, "value": value} for name, value in extracted.items()
    ]
    return Tracker(sender, {**before, **extracted}, latest["parse_data"], events, False, None, {"name": form}, form)


def run(action: Action, tracker_: Tracker, domain: Dict[str, Any]) -> ActionResult:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, domain))
    return ActionResult(
        events=list(events),
        responses=[message.get("response") for message in dispatcher.messages],
        messages=dispatcher.messages,
    )


def rendered(result: ActionResult, language: str = "zh") -> List[str]:
    """An action's replies as the Rasa server renders them (rasa_addons.nlg, its order store
    the one named by ORDERS_DB) for a customer writing in `language`."""
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_addons.nlg import BilingualNLG

    domain = assistant_domain()
    generator = BilingualNLG(domain=domain)
    said = "每期多少" if language == "zh" else "how much a month"
    conversation = DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), UserUttered(said)], slots=domain.slots
    )
    texts = []
    for message in result.messages:
        variables = dict(message)
        name = variables.pop("response")
        texts.append(asyncio.run(generator.generate(name, conversation, "rest", **variables))["text"])
    return texts
