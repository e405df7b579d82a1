"""Who the customer is, and whose a conversation is.

Signed-in customers: the mall (the web app on port 8080 plays it) signs a short-lived JWT
(HS256 with MALL_SECRET, issuer and audience below, an expiry) naming the customer. The
widget sends it with every message; the Rasa server's socket.io channel checks signature,
expiry, issuer, audience and that it was issued for this very conversation before the
message is handled, and writes what it checked under METADATA_KEY. Only the channels
write there (whatever a client sends under that key is dropped), so the actions read who
the customer is from there and from nowhere else: not from slots, entities or
`/intent{...}` payloads, which a customer can type.

Sealed conversations: the page's server gives each browser a random secret in an HttpOnly
cookie (CHAT_COOKIE). The widget's conversation id is derived from it, so a browser gets
the conversation of its own cookie whatever session id it presents, and a REST caller
cannot name a widget conversation (WIDGET_PREFIX is reserved for them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

from mall import settings

ISSUER = "xiaomi-mall-demo"
AUDIENCE = "mall-payment-assistant"
ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 4096

CHAT_COOKIE = "mall_chat"
WIDGET_PREFIX = "web:"
METADATA_KEY = "mall"  # the checked part of a message's metadata, written by the channels only
TOKEN_FIELD = "token"  # where the page puts the customer token in the widget's customData


class TokenRefused(Exception):
    """A token that is not good: `reason` is "expired" or "invalid" (forged, another key,
    another audience or conversation, malformed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    customer_id: str
    expires_at: float  # epoch seconds


def new_chat_secret() -> str:
    return secrets.token_urlsafe(32)


def conversation_id(chat_secret: str) -> str:
    """The widget conversation of the browser holding `chat_secret` (not secret itself:
    knowing it gives nothing without the cookie)."""
    digest = hashlib.sha256(b"mall-chat\x00" + chat_secret.encode()).hexdigest()
    return f"{WIDGET_PREFIX}{digest[:32]}"


def one_off_conversation_id() -> str:
    """For a socket that brought no chat cookie: a conversation nobody can open again."""
    return f"{WIDGET_PREFIX}once-{secrets.token_hex(16)}"


def issue_token(secret: str, customer_id: str, conversation: str, lifetime: int, now: Optional[float] = None) -> str:
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": customer_id,
        "conv": conversation,  # only good in this browser's conversation
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: Optional[str], token: Any, conversation: str) -> Identity:
    """The customer a token names, if it is good for `conversation` now."""
    if not secret or not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise TokenRefused("invalid")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # never "none", never what the token's header asks for
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "conv"]},
        )
    except jwt.ExpiredSignatureError as expired:  # checked after the signature
        raise TokenRefused("expired") from expired
    except jwt.PyJWTError as bad:
        raise TokenRefused("invalid") from bad
    if not hmac.compare_digest(str(claims["conv"]).encode(), conversation.encode()):
        raise TokenRefused("invalid")
    return Identity(str(claims["sub"]), float(claims["exp"]))


def client_address(peer: Optional[str], forwarded_for: Optional[str]) -> str:
    """The customer's address: the peer's, or, when the peer is a trusted load balancer, the
    last X-Forwarded-For entry (the one that balancer wrote; earlier ones the client could)."""
    if forwarded_for and peer in settings.trusted_proxies():
        return forwarded_for.split(",")[-1].strip() or peer or ""
    return peer or ""


def client_key(address: str, key: str = "") -> str:
    """A pseudonym for a client's network address, for the guessing limits (the address
    itself is not stored)."""
    return hmac.new(key.encode(), b"client\x00" + address.encode(), hashlib.sha256).hexdigest()[:16]


def checked_metadata(metadata: Any, identity: Optional[Identity] = None, client: Optional[str] = None) -> Dict:
    """A message's metadata as the assistant keeps it: what the client sent minus the token
    and minus anything under METADATA_KEY, plus what the channel checked."""
    kept = (
        {k: v for k, v in metadata.items() if k not in (METADATA_KEY, TOKEN_FIELD)}
        if isinstance(metadata, dict)
        else {}
    )
    checked: Dict[str, Any] = {}
    if identity is not None:
        checked["customer_id"] = identity.customer_id
        checked["expires_at"] = identity.expires_at
    if client:
        checked["client"] = client
    kept[METADATA_KEY] = checked
    return kept


def identity_in(metadata: Any, now: Optional[float] = None) -> Optional[Identity]:
    """The signed-in customer a channel found for a message, while the token is good."""
    checked = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(checked, dict) or not checked.get("customer_id"):
        return None
    expires_at = float(checked.get("expires_at") or 0)
    if expires_at <= (time.time() if now is None else now):
        return None
    return Identity(str(checked["customer_id"]), expires_at)


def client_in(metadata: Any) -> Optional[str]:
    checked = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    client = checked.get("client") if isinstance(checked, dict) else None
    return str(client) if client else None
