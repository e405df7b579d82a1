"""Project code that the Rasa server loads: NLU components, the response generator.

Importing it (Rasa does, to load the model's components) also masks phone numbers in the
server's logs and makes a failing action server produce an apology instead of silence.
"""

from actions.privacy import install_log_masking
from rasa_addons.action_failures import install_action_failure_apology

install_log_masking()
install_action_failure_apology()
