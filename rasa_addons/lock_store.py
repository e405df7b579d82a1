"""Conversation locks that hold across processes: one message of a conversation at a time.

Rasa 3.6's RedisLockStore issues a ticket by reading the lock, adding a ticket and writing it
back (RasaHQ/rasa#9213): two Rasa instances receiving messages of one conversation at once
can both be served. Here every step is one atomic Redis operation (a Lua script), so
tickets are numbered by INCR and a ticket is served only when it is the lowest live one.

`lock_store: {type: rasa_addons.lock_store.ConversationLockStore}` in endpoints.yml: Redis
when REDIS_URL is set (several Rasa instances), else this process's memory (one instance),
with the same ticket rules.

A ticket lives TICKET_SECONDS and is renewed while its message waits or is served, so an
instance that is killed in the middle of a message holds the conversation for seconds, not
for Rasa's 60 (LOCK_LIFETIME): the customer's next message, through another instance, is
served as soon as the dead instance's ticket has expired.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Optional, Protocol, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from mall import settings
from mall.metrics import LOCK_WAIT_SECONDS

logger = logging.getLogger(__name__)

KEY_PREFIX = "mall:lock:"
POLL_SECONDS = 0.02  # between tries while another message of the conversation is served
TICKET_SECONDS = 10.0  # a ticket not renewed for this long is dropped (its holder died) ...
RENEWALS_PER_LIFETIME = 4  # ... and a live one is renewed this often within that time
SERVED, WAITING, EXPIRED = 1, 0, -1

# KEYS: sequence counter, tickets (sorted set: score = ticket), expiry (hash: ticket -> time)
_ISSUE = """
local ticket = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('HSET', KEYS[3], ticket, ARGV[1])
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[2]) end
return ticket
"""
_ATTEMPT = """
for _, ticket in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if tonumber(redis.call('HGET', KEYS[3], ticket) or '0') < tonumber(ARGV[2]) then
    redis.call('ZREM', KEYS[2], ticket)
    redis.call('HDEL', KEYS[3], ticket)
  end
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -1 end
if redis.call('ZRANGE', KEYS[2], 0, 0)[1] == ARGV[1] then return 1 end
return 0
"""
_RENEW = """
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[3]) end
return 1
"""
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return redis.call('ZCARD', KEYS[2])
"""


class Tickets(Protocol):
    def issue(self, conversation_id: Text, lifetime: float) -> int: ...

    def attempt(self, conversation_id: Text, ticket: int) -> int: ...

    def renew(self, conversation_id: Text, ticket: int, lifetime: float) -> bool: ...

    def release(self, conversation_id: Text, ticket: int) -> int: ...


class RedisTickets:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._issue = self._redis.register_script(_ISSUE)
        self._attempt = self._redis.register_script(_ATTEMPT)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)

    @staticmethod
    def _keys(conversation_id: Text) -> list:
        base = KEY_PREFIX + conversation_id
        return [base + ":seq", base + ":tickets", base + ":expiry"]

    def issue(self, conversation_id: Text, lifetime: float) -> int:
        keep = int(lifetime) + 60  # the keys outlive their last ticket, then go
        return int(self._issue(keys=self._keys(conversation_id), args=[time.time() + lifetime, keep]))

    def attempt(self, conversation_id: Text, ticket: int) -> int:
        return int(self._attempt(keys=self._keys(conversation_id), args=[ticket, time.time()]))

    def renew(self, conversation_id: Text, ticket: int, lifetime: float) -> bool:
        keep = int(lifetime) + 60
        return bool(self._renew(keys=self._keys(conversation_id), args=[ticket, time.time() + lifetime, keep]))

    def release(self, conversation_id: Text, ticket: int) -> int:
        return int(self._release(keys=self._keys(conversation_id), args=[ticket]))


class MemoryTickets:
    """The same rules for one process (its threads included)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._numbers = itertools.count(1)
        self._expiry: Dict[Text, Dict[int, float]] = {}

    def issue(self, conversation_id: Text, lifetime: float) -> int:
        with self._guard:
            ticket = next(self._numbers)
            self._expiry.setdefault(conversation_id, {})[ticket] = time.time() + lifetime
            return ticket

    def attempt(self, conversation_id: Text, ticket: int) -> int:
        with self._guard:
            live = self._expiry.get(conversation_id, {})
            now = time.time()
            for number in [number for number, expires in live.items() if expires < now]:
                del live[number]
            if ticket not in live:
                return EXPIRED
            return SERVED if min(live) == ticket else WAITING

    def renew(self, conversation_id: Text, ticket: int, lifetime: float) -> bool:
        with self._guard:
            live = self._expiry.get(conversation_id, {})
            if ticket not in live:
                return False
            live[ticket] = time.time() + lifetime
            return True

    def release(self, conversation_id: Text, ticket: int) -> int:
        with self._guard:
            live = self._expiry.get(conversation_id, {})
            live.pop(ticket, None)
            if not live:
                self._expiry.pop(conversation_id, None)
            return len(live)


class ConversationLockStore(LockStore):
    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        url: Optional[str] = None,
        ticket_seconds: float = TICKET_SECONDS,
        **kwargs: Any,
    ) -> None:
        redis_url = url or (endpoint_config.url if endpoint_config else None) or settings.redis_url()
        self.tickets: Tickets = RedisTickets(redis_url) if redis_url else MemoryTickets()
        self.ticket_seconds = ticket_seconds
        super().__init__()

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self.tickets.issue(conversation_id, lock_lifetime)
        except Exception as error:  # Redis unreachable: the customer gets the apology (rasa_addons.outages)
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncIterator[TicketLock]:
        lifetime = min(lock_lifetime, self.ticket_seconds)
        waiting_since = time.perf_counter()
        ticket = self.issue_ticket(conversation_id, lifetime)
        renewing = asyncio.create_task(self._keep_alive(conversation_id, ticket, lifetime))
        try:
            while (state := self._attempt(conversation_id, ticket)) == WAITING:
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
            LOCK_WAIT_SECONDS.observe(time.perf_counter() - waiting_since)
            if state == EXPIRED:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            yield TicketLock(conversation_id)
        finally:
            renewing.cancel()
            try:
                self.tickets.release(conversation_id, ticket)
            except Exception as error:  # Redis went away mid-message: the ticket expires by itself
                logger.warning("Ticket %s of conversation %s not released: %s", ticket, conversation_id, error)

    def _attempt(self, conversation_id: Text, ticket: int) -> int:
        try:
            return self.tickets.attempt(conversation_id, ticket)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    async def _keep_alive(self, conversation_id: Text, ticket: int, lifetime: float) -> None:
        """Renews the ticket while its message waits or is served (until cancelled)."""
        while True:
            await asyncio.sleep(lifetime / RENEWALS_PER_LIFETIME)
            try:
                if not self.tickets.renew(conversation_id, ticket, lifetime):
                    return
            except Exception as error:
                logger.warning("Ticket %s of conversation %s not renewed: %s", ticket, conversation_id, error)

    # Rasa's other entry points to a lock store, on the same tickets.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None

    def is_someone_waiting(self, conversation_id: Text) -> bool:
        return False

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.tickets.release(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self.tickets.release(conversation_id, ticket_number)
