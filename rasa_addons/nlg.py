"""Response generator that answers in the customer's language.

Every response in the domain has a Chinese default and an English variation with
`condition: [{type: slot, name: language, value: en}]`. The language is derived here from
the conversation each time a response is rendered, so a reply is never in the previous
message's language (a custom action that sets a slot and utters in the same run would
render with the old value). The `language` slot only remembers the language of messages
that left the dialogue window (rasa_addons.tracker_store).

Facts from mall/ fill any reply: the hotline and hours, the payment methods, and the plans
on offer (read from the order store at most every mall.settings.PLANS_CACHE_SECONDS,
mall.offered_plans, and only for a reply that lists them: the apology for a database that
is down must not need the database). An action may pass a variable as a part of its reply,
`{"response": "utter_part_…", **variables}`: that response is rendered first, in the same
language, and its text fills the variable. So a sentence whose wording depends on the
figures ("first period ¥358.29, then ¥358.24" or "¥333.25 a period") keeps every word in
data/responses/ and still comes as one message.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from mall import catalog, settings, support
from mall.language import conversation_language
from mall.offered_plans import OfferedPlans
from mall.privacy import mask_phones_in_text

LANGUAGE_CONDITION = "language"
PART = "response"  # the key that makes a variable's value a part of the reply (above)
PLANS_VARIABLE = "{plans_"  # {plans_zh}, {plans_en}


def dialogue_language(tracker: DialogueStateTracker) -> str:
    return conversation_language(
        ((event.text, event.metadata) for event in reversed(tracker.events) if isinstance(event, UserUttered)),
        tracker.get_slot(LANGUAGE_CONDITION),
    )


class BilingualNLG(TemplatedNaturalLanguageGenerator):
    """Picks the zh or en variation of a response; loaded via `nlg.type` in endpoints.yml."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Facts any reply may name ({hotline}, {methods_zh}, ...), from their one home.
        self._facts = {**support.template_variables(), **catalog.template_variables()}
        self._plans = OfferedPlans.of_store(settings.orders_database())  # {plans_zh}, {plans_en}

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        parts = [value[PART] for value in kwargs.values() if isinstance(value, dict) and PART in value]
        plans = self._plans.template_variables() if self._lists_plans([utter_action, *parts]) else {}
        filled_slots = {**self._facts, **plans, **tracker.current_slot_values()}
        filled_slots[LANGUAGE_CONDITION] = dialogue_language(tracker)
        variables = self._parts_rendered(filled_slots, output_channel, kwargs)
        response = self.generate_from_slots(utter_action, filled_slots, output_channel, **variables)
        if response and response.get("text"):
            # Whatever a template variable holds, no reply shows a full mobile number.
            response["text"] = mask_phones_in_text(response["text"])
        return response

    def _lists_plans(self, names: List[Text]) -> bool:
        """Whether any of these responses lists the plans. Read from `responses` each time:
        Rasa sets them after the generator is made, when it loads the model."""
        return any(
            PLANS_VARIABLE in (variation.get("text") or "")
            for name in names
            for variation in self.responses.get(name) or []
        )

    def _parts_rendered(
        self, filled_slots: Dict[Text, Any], output_channel: Text, variables: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        """The variables, each part of the reply replaced by its rendered text."""
        rendered = dict(variables)
        for name, value in variables.items():
            if isinstance(value, dict) and PART in value:
                part_variables = {key: item for key, item in value.items() if key != PART}
                part = self.generate_from_slots(value[PART], filled_slots, output_channel, **part_variables)
                rendered[name] = (part or {}).get("text") or ""
        return rendered
