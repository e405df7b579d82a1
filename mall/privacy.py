"""Phone numbers never appear in full: not in replies, not in log lines."""

from __future__ import annotations

import logging
import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_installed = False


def mask_phone(phone: str) -> str:
    """13800001234 -> 138****1234."""
    return _MOBILE.sub(r"\1****\3", phone)


def mask_phones_in_text(text: str) -> str:
    return _MOBILE.sub(r"\1****\3", text)


def install_log_masking() -> None:
    """Mask mobile numbers in every log record of this process, whoever logs it.

    A record factory sees each record once, before any handler formats it, so this
    also covers Rasa's and Sanic's own loggers (a user may type their number).
    """
    global _installed
    if _installed:
        return
    previous_factory = logging.getLogRecordFactory()

    def masking_factory(*args, **kwargs) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        message = record.getMessage()
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(masking_factory)
    _installed = True
