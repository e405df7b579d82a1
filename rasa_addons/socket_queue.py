"""socket.io across Rasa instances: a message emitted by any instance reaches the customer's
widget wherever it is connected.

Rasa builds its socket.io server with python-socketio's default client manager, which knows
the sockets of its own process only: an agent's reply posted to another instance's HTTP API,
or "the assistant is back", would reach nobody. python-socketio's AsyncRedisManager shares
every emit through a Redis channel; each instance then delivers it to the sockets it holds
(rooms stay local to each instance). The load balancer keeps each widget on one instance
(sticky sessions), which long polling needs.

Two changes to AsyncRedisManager (python-socketio 5.9) for a chat:
- If Redis cannot be reached, an emit is delivered to this instance's own sockets instead
  of being dropped with an error in the log: the customer whose message this instance is
  answering is connected here, so they still get the reply (or the apology).
- The listener tries Redis again every second, not after a pause that doubles up to a
  minute: after an outage, agents' replies flow again as soon as Redis does.

The queue carries pickled messages (python-socketio's format): Redis must be reachable by
the assistant's servers only, as it is on loopback here and in a private network in
production.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from typing import Any, AsyncIterator, Optional

from redis.exceptions import RedisError
from socketio import AsyncRedisManager, AsyncServer
from socketio.asyncio_manager import AsyncManager

logger = logging.getLogger(__name__)

CHANNEL = "mall:socketio"
RETRY_SECONDS = 1.0


class SharedRooms(AsyncRedisManager):
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: Optional[str] = None,
        room: Optional[str] = None,
        skip_sid: Any = None,
        callback: Any = None,
        **kwargs: Any,
    ) -> None:
        try:
            await super().emit(
                event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        except (RedisError, OSError) as error:
            logger.warning("socket.io message queue unreachable (%s): delivering to this instance's sockets", error)
            await AsyncManager.emit(self, event, data, namespace or "/", room=room, skip_sid=skip_sid)

    async def _publish(self, data: Any) -> Any:
        # Raises when Redis is unreachable (python-socketio logs and drops the message); the
        # client reconnects by itself for the next message.
        return await self.redis.publish(self.channel, pickle.dumps(data))

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                async for message in self.pubsub.listen():
                    yield message
            except RedisError as error:
                logger.warning("socket.io message queue unreachable (%s); trying again in %.0f s", error, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> AsyncIterator[Any]:
        # python-socketio subscribes once before its retry loop, and spins without a pause
        # if Redis is down at that moment; here subscribing is inside the loop.
        channel = self.channel.encode("utf-8")
        async for message in self._redis_listen_with_retries():
            if message["channel"] == channel and message["type"] == "message" and "data" in message:
                yield message["data"]


def share_rooms(sio: AsyncServer, redis_url: str) -> None:
    """Give a socket.io server (before its first connection) the Redis message queue."""
    manager = SharedRooms(redis_url, channel=CHANNEL, redis_options={"socket_connect_timeout": 2})
    sio.manager = manager
    manager.set_server(sio)
