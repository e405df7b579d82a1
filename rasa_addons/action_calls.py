"""Validates the action server's responses with a schema compiled once.

For every custom action call Rasa 3.6 runs `jsonschema.validate(response, schema)`, which
first checks the schema itself against the JSON Schema metaschema; profiling showed that
check as the largest cost of a turn that runs custom actions. The responses are still
validated, against the same schema, by a validator built once.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

Validate = Callable[[RemoteAction, Dict[Text, Any]], bool]


def compiled_validation(original: Validate) -> Validate:
    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError:
            return original(self, result)  # Rasa's own error message, with its advice
        return True

    return validate_action_result
