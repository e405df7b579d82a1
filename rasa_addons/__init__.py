"""Project code that the Rasa server loads: NLU components, the response generator.

Importing it masks phone numbers in the Rasa server's logs as well.
"""

from actions.privacy import install_log_masking

install_log_masking()
