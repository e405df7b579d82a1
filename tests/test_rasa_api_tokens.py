"""Rasa's HTTP API, which the agent console calls with a JWT: a token signed with another
algorithm than the server's (`alg: none`, HS512), or with another key, is answered 401 like
a missing one, not with a 500 and a traceback in the log (rasa_addons.startup)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests

from webapp.agent import rasa_api_headers

pytestmark = pytest.mark.conversation
CLAIMS = {"user": {"username": "agent-console", "role": "admin"}}


def unsigned(claims: dict) -> str:
    """A token with `alg: none` and no signature (PyJWT will not make one)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.filterwarnings("ignore:The HMAC key")  # HS512 with the server's (HS256-sized) key: as intended
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda key: unsigned({**CLAIMS, "exp": int(time.time()) + 60}), id="alg-none"),
        pytest.param(lambda key: jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, key, "HS512"), id="hs512"),
        pytest.param(
            lambda key: jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, "x" * 40, "HS256"), id="other-key"
        ),
        pytest.param(lambda key: jwt.encode({**CLAIMS, "exp": int(time.time()) - 3600}, key, "HS256"), id="expired"),
        pytest.param(lambda key: "not.a.token", id="garbage"),
    ],
)
def test_a_token_the_server_did_not_sign_is_refused_with_401(site, token):
    log = site.workdir / "rasa.log"
    logged_before = log.stat().st_size
    url = f"{site.rasa_url}/conversations/someone/tracker"
    response = requests.get(url, headers={"Authorization": f"Bearer {token(site.agent.rasa_token)}"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["reason"] == "NotAuthenticated"
    with log.open(encoding="utf-8", errors="replace") as logged:
        logged.seek(logged_before)
        assert "Traceback" not in logged.read()
    assert requests.get(url, headers=rasa_api_headers(site.agent.rasa_token), timeout=30).status_code == 200
