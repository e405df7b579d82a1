"""Project code that the Rasa server loads: NLU components, the response generator, the
tracker store.

Importing it (Rasa does, to load the model's components) also masks phone numbers in the
server's logs, makes a failing action server produce an apology instead of silence, and
validates action server responses with a compiled schema (see each module).
"""

from actions.privacy import install_log_masking
from rasa_addons.action_calls import install_compiled_response_validation
from rasa_addons.action_failures import install_action_failure_apology

install_log_masking()
install_action_failure_apology()
install_compiled_response_validation()
