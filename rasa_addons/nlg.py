"""Response generator that answers in the customer's language.

Every response in the domain has a Chinese default and an English variation with
`condition: [{type: slot, name: language, value: en}]`. The language is derived here from
the conversation each time a response is rendered, so a reply is never in the previous
message's language (a custom action that sets a slot and utters in the same run would
render with the old value). The `language` slot only remembers the language of messages
that left the dialogue window (rasa_addons.tracker_store).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from mall import catalog, support
from mall.language import conversation_language
from mall.privacy import mask_phones_in_text

LANGUAGE_CONDITION = "language"


def dialogue_language(tracker: DialogueStateTracker) -> str:
    return conversation_language(
        ((event.text, event.metadata) for event in reversed(tracker.events) if isinstance(event, UserUttered)),
        tracker.get_slot(LANGUAGE_CONDITION),
    )


class BilingualNLG(TemplatedNaturalLanguageGenerator):
    """Picks the zh or en variation of a response; loaded via `nlg.type` in endpoints.yml."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Facts any reply may name ({hotline}, {plans_zh}, ...), from their one home.
        self._facts = {**support.template_variables(), **catalog.template_variables()}

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = {**self._facts, **tracker.current_slot_values()}
        filled_slots[LANGUAGE_CONDITION] = dialogue_language(tracker)
        response = self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
        if response and response.get("text"):
            # Whatever a template variable holds, no reply shows a full mobile number.
            response["text"] = mask_phones_in_text(response["text"])
        return response
