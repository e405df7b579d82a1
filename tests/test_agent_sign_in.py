"""Sign-in that strangers cannot block (webapp.console_auth): wrong passwords are counted per
account and per client; attempts wait in line with a pause once either has too many, the
line turned away beyond its length; and the right password always gets through after the
pause, from a busy client too."""

from __future__ import annotations

import asyncio
import time

import pytest

from mall import identity
from tests.console_support import ACCOUNTS, with_console
from webapp import console_auth

PAUSE, DELAY = 0.4, 0.05


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch):
    monkeypatch.setattr(console_auth, "PAUSE_SECONDS", PAUSE)
    monkeypatch.setattr(console_auth, "WRONG_PASSWORD_DELAY", DELAY)


def login(client, name: str, password: str, client_address: str = ""):
    headers = {"X-Forwarded-For": client_address} if client_address else {}
    return client.post("/agent/login", json={"name": name, "password": password}, headers=headers)


async def timed(request) -> tuple:
    started = time.monotonic()
    response = await request
    return response.status, time.monotonic() - started


def test_the_right_password_gets_through_a_clients_lockout_after_a_pause(tmp_path):
    async def scenario(client, rasa, store):
        for _ in range(console_auth.FAILURES_BEFORE_PAUSE):
            assert (await login(client, "wang", "guess")).status == 401
        status, took = await timed(login(client, "li", ACCOUNTS["li"][3]))  # the same client, another agent
        assert status == 200 and took >= PAUSE
        status, took = await timed(login(client, "wang", "still a guess"))
        assert status == 401 and took >= PAUSE
        status, took = await timed(login(client, "wang", ACCOUNTS["wang"][3]))
        assert status == 200 and took >= PAUSE

    with_console(tmp_path, scenario)


def test_parallel_guesses_wait_in_line_and_the_rest_are_turned_away(tmp_path):
    async def scenario(client, rasa, store):
        started = time.monotonic()
        guesses = [login(client, "wang", f"guess-{i}") for i in range(20)]
        statuses = sorted(response.status for response in await asyncio.gather(*guesses))
        assert statuses.count(401) == console_auth.MAX_WAITING and statuses.count(429) == 12
        assert time.monotonic() - started >= DELAY * console_auth.MAX_WAITING  # one after another
        refused = await login(client, "wang", "one more")
        assert refused.status == 401 and "Retry-After" not in refused.headers  # the line moved: in again
        assert (await login(client, "wang", ACCOUNTS["wang"][3])).status == 200  # never locked out

    with_console(tmp_path, scenario)


def test_guesses_at_one_account_from_many_clients_slow_that_account_only(tmp_path, monkeypatch):
    """Behind a trusted balancer each guess comes from another address; the account they
    aim at is slowed down, its owner still gets in, and other agents are not slowed."""
    monkeypatch.setattr(identity.settings, "trusted_proxies", lambda env=None: ["127.0.0.1"])

    async def scenario(client, rasa, store):
        for i in range(console_auth.FAILURES_BEFORE_PAUSE):
            assert (await login(client, "wang", "guess", f"203.0.113.{i}")).status == 401
        status, took = await timed(login(client, "li", ACCOUNTS["li"][3], "203.0.113.99"))
        assert status == 200 and took < PAUSE
        status, took = await timed(login(client, "wang", ACCOUNTS["wang"][3], "198.51.100.7"))
        assert status == 200 and took >= PAUSE

    with_console(tmp_path, scenario)


def test_unknown_names_take_as_long_as_wrong_passwords(tmp_path):
    async def scenario(client, rasa, store):
        _, wrong_password = await timed(login(client, "wang", "guess"))
        _, unknown_name = await timed(login(client, "nobody-at-all", "guess"))
        assert unknown_name > wrong_password / 3  # a password hash was checked either way

    with_console(tmp_path, scenario)


def test_a_flood_of_made_up_names_leaves_nothing_behind_once_old(monkeypatch):
    monkeypatch.setattr(console_auth, "PAUSE_SECONDS", 0)
    monkeypatch.setattr(console_auth, "WRONG_PASSWORD_DELAY", 0)
    now = [0.0]
    guard = console_auth.SignInGuard(clock=lambda: now[0])

    async def nobody():
        return None

    async def flood() -> None:
        for i in range(console_auth.SWEEP_EVERY - 1):
            await guard.attempt([f"account:made-up-{i}", "client:203.0.113.1"], nobody)
        assert len(guard.failures) == console_auth.SWEEP_EVERY  # every name, and the client
        now[0] += console_auth.FAILURE_WINDOW_SECONDS + 1
        await guard.attempt(["account:one-more", "client:198.51.100.1"], nobody)  # sweeps

    asyncio.run(flood())
    assert set(guard.failures) == {"account:one-more", "client:198.51.100.1"}
