"""The REST channel with the door (rasa_addons.door), and the terminal's channel on top of it.

Named in credentials.yml by module path; it keeps Rasa's channel name ("rest"), so URLs and
`input_channel` are Rasa's. Its callers are anonymous and cannot reach a widget's
conversation: a caller names its conversation (`sender`, required) but never a widget's
(mall.identity.WIDGET_PREFIX), is always channel `rest`, and a body that is not a JSON object
is a 400. What the channel checked (a pseudonym of the client's address) is written under
mall.identity.METADATA_KEY, and whatever a client sent there is dropped.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from mall.identity import WIDGET_PREFIX, checked_metadata
from rasa_addons.door import Door, OnNewMessage, request_client

MAX_SENDER_CHARS = 128


def _body(request: Request) -> Dict[str, Any]:
    body = request.json  # a body that is not JSON at all: Sanic answers 400 itself
    if not isinstance(body, dict):
        raise InvalidUsage('The body must be a JSON object: {"sender": "...", "message": "..."}.')
    return body


class RestChannel(RestInput):
    def __init__(self) -> None:
        super().__init__()
        self._door = Door()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(self._door.guard(on_new_message))
        self._door.attach(blueprint)
        return blueprint

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        """Required (without one Rasa put every such caller into one conversation,
        "default"), and never a widget conversation's id."""
        sender = _body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(f"`sender` is required: a string of 1 to {MAX_SENDER_CHARS} characters.")
        if sender.startswith(WIDGET_PREFIX):
            raise InvalidUsage(f"`sender` cannot start with {WIDGET_PREFIX!r}: those are the chat widget's.")
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("`message` is required: a string.")
        return message

    def _extract_input_channel(self, req: Request) -> Text:
        # Rasa takes `input_channel` from the body: a caller could pass as the widget.
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("`metadata` must be a JSON object.")
        return checked_metadata(metadata, client=request_client(request))


class ShellChannel(RestChannel):
    """`make shell`: the terminal talks to the REST channel, door included. Rasa starts its
    console (questions with arrow-key buttons) when a channel is named "cmdline"
    (rasa.core.run.configure_app); it posts to /webhooks/rest/webhook, as Rasa's own."""

    @classmethod
    def name(cls) -> Text:
        return "cmdline"

    def url_prefix(self) -> Text:
        return RestChannel.name()
