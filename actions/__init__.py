"""Custom actions of the payment-support assistant (served by `rasa run actions`).

Importing the package masks phone numbers in this process's logs; nothing else
happens at import: the orders database opens on first use (actions.services).
"""

from mall.privacy import install_log_masking

install_log_masking()
