"""Customer tokens and sealed conversation ids (mall.identity)."""

from __future__ import annotations

import time

import jwt
import pytest

from mall import settings
from mall.identity import (
    METADATA_KEY,
    TOKEN_FIELD,
    TokenRefused,
    checked_metadata,
    client_address,
    conversation_id,
    identity_in,
    issue_token,
    verify_token,
)

SECRET = "mall-test-secret-of-enough-length-for-hs256"
CONVERSATION = conversation_id("browser-cookie")


def test_a_good_token_names_its_customer():
    token = issue_token(SECRET, "customer-1234", CONVERSATION, 600)
    identity = verify_token(SECRET, token, CONVERSATION)
    assert identity.customer_id == "customer-1234" and identity.expires_at > time.time() + 500


@pytest.mark.parametrize(
    "token, reason",
    [
        (issue_token(SECRET, "customer-1234", CONVERSATION, 600, now=time.time() - 3600), "expired"),
        (issue_token("another-secret-of-enough-length-for-hs256", "customer-1234", CONVERSATION, 600), "invalid"),
        (issue_token(SECRET, "customer-1234", conversation_id("another-browser"), 600), "invalid"),
        (jwt.encode({"sub": "customer-1234", "exp": time.time() + 600}, None, algorithm="none"), "invalid"),
        ("not.a.token", "invalid"),
        ("", "invalid"),
        (None, "invalid"),
        ({"sub": "customer-1234"}, "invalid"),
    ],
    ids=["expired", "other-secret", "other-conversation", "alg-none", "garbage", "empty", "none", "not-a-string"],
)
def test_bad_tokens_are_refused(token, reason):
    with pytest.raises(TokenRefused) as refused:
        verify_token(SECRET, token, CONVERSATION)
    assert refused.value.reason == reason


def test_a_tampered_token_is_refused():
    header, _, signature = issue_token(SECRET, "customer-1234", CONVERSATION, 600).split(".")
    other_claims = issue_token(SECRET, "customer-9012", CONVERSATION, 600).split(".")[1]
    with pytest.raises(TokenRefused):
        verify_token(SECRET, f"{header}.{other_claims}.{signature}", CONVERSATION)


def test_no_secret_no_sign_in():
    with pytest.raises(TokenRefused):
        verify_token(None, issue_token(SECRET, "customer-1234", CONVERSATION, 600), CONVERSATION)


def test_what_a_client_sends_as_checked_is_dropped():
    sent = {"language": "en", METADATA_KEY: {"customer_id": "customer-1234", "expires_at": 9e9}, TOKEN_FIELD: "x"}
    kept = checked_metadata(sent, client="k")
    assert kept == {"language": "en", METADATA_KEY: {"client": "k"}}
    assert identity_in(kept) is None


def test_a_checked_identity_lapses_with_its_token():
    token = issue_token(SECRET, "customer-1234", CONVERSATION, 60)
    kept = checked_metadata({}, verify_token(SECRET, token, CONVERSATION))
    assert identity_in(kept).customer_id == "customer-1234"
    assert identity_in(kept, now=time.time() + 61) is None


def test_conversation_ids_depend_on_the_secret_only():
    assert conversation_id("a") == conversation_id("a") != conversation_id("b")
    assert "browser-cookie" not in CONVERSATION


def test_the_client_behind_a_trusted_load_balancer_is_the_address_it_forwards(monkeypatch):
    monkeypatch.setenv(settings.TRUSTED_PROXIES_ENV, "127.0.0.1")
    # The balancer appends the address it saw; what the client wrote before it is not believed.
    assert client_address("127.0.0.1", "10.0.0.9") == "10.0.0.9"
    assert client_address("127.0.0.1", "6.6.6.6, 10.0.0.9") == "10.0.0.9"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


def test_a_forwarded_address_from_anyone_else_is_ignored(monkeypatch):
    monkeypatch.delenv(settings.TRUSTED_PROXIES_ENV, raising=False)
    assert client_address("10.0.0.9", "6.6.6.6") == "10.0.0.9"  # one process, browsers direct
    monkeypatch.setenv(settings.TRUSTED_PROXIES_ENV, "127.0.0.1")
    assert client_address("10.0.0.9", "6.6.6.6") == "10.0.0.9"
    assert client_address(None, "6.6.6.6") == ""
