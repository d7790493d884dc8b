"""A message hub for live state shared by every API process: publish on a topic, subscribers anywhere hear it.

A customer and an advisor of a video session may be connected by WebSocket to two API processes, on two
machines: what one does (an offer, a WebRTC signal, the advisor going away) must reach the other's
process, and no process may keep the state in its own memory. The state lives in the database; the hub
only tells the processes that hold a subscription that something happened, so they read it again or
pass a signal on. Three backends, chosen by :func:`hub_from_settings`:

- :class:`~comptoir.core.pubsub_servers.PostgresHub`: ``LISTEN``/``NOTIFY`` on the shared PostgreSQL,
  with no other server to run. Each process keeps ONE connection that listens on ONE channel and
  carries the topic inside the payload: a backend listening on thousands of channels checks each
  notification against each of them, while one channel costs one check, and subscribing is then the
  process's own business (no round trip, no race with a message published right after). Every process
  reads every hub message of the database and keeps those of its subscribers' topics: a signalling
  load, not a data stream. The same connection publishes. A payload must stay under 8000 bytes while a
  WebRTC offer may take 10 KB: a larger message is compressed, and still larger ones split into
  numbered pieces sent in one statement, hence one transaction, whose notifications PostgreSQL delivers
  together and in order; no table holds them and nothing needs purging.
- :class:`~comptoir.core.pubsub_servers.RedisHub`: Redis pub/sub when ``COMPTOIR_REDIS_URL`` is set
  (``COMPTOIR_HUB`` chooses), which takes the notification traffic, and the lock PostgreSQL takes to
  queue notifications at each commit, off the database.
- :class:`LocalHub`: within one process (SQLite, the embedded single-process mode).

Messages are JSON objects (encoded by orjson on every backend, so a subscriber gets the same types
whichever backend carried them: datetimes and decimals arrive as strings).

A listener that loses its connection (server restarted, connection killed, network silent past a ping)
opens a new one by itself, retrying with a growing pause. Messages published meanwhile are lost: each
subscription that may have missed some gets a ``("hub.reconnected", {})`` item once listening again, so
its owner reads the state again from the database. A subscription's queue is bounded (``limit`` items):
a consumer too slow to keep up loses the OLDEST items, never the process's memory, and its next item is
``("hub.overflow", {"dropped": n})``: the same re-read applies. Topics starting with ``hub.`` are
reserved for these two.

What a task publishes one message after the other arrives in that order. A publish interrupted by a
broken connection is tried once more on a new one, so a message may in rare cases arrive twice.

One hub per process, started and stopped with the application (its lifespan)::

    async with hub.subscribe(f"live.session:{session_id}") as sub:   # in a WebSocket handler
        async for topic, message in sub:
            if topic in (RECONNECTED, OVERFLOW):
                ...  # read the session again from the database
    await hub.publish(f"live.session:{session_id}", {"type": "offer", "sdp": sdp})
    hub.publish_threadsafe(topic, message)  # from a synchronous route's thread, after its commit
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections import deque
from decimal import Decimal
from types import TracebackType
from typing import Any

import orjson

from comptoir.core.db import Database
from comptoir.core.settings import Settings

log = logging.getLogger("comptoir.pubsub")

Message = dict[str, Any]
RECONNECTED = "hub.reconnected"
OVERFLOW = "hub.overflow"
DEFAULT_LIMIT = 256
# What one message may weigh once encoded: the hub carries signals (an SDP offer is 3-10 KB), not files.
MAX_MESSAGE_BYTES = 256 * 1024
_TOPIC = re.compile(r"[!-~]{1,200}")  # printable ASCII, no space: it travels in a payload's header line


class HubUnavailable(ConnectionError):
    """The hub's server could not be reached in time: the message was not published."""


class HubClosed(Exception):
    """The hub was stopped: this subscription will receive nothing more."""


def _check_topic(topic: str) -> None:
    if not _TOPIC.fullmatch(topic) or topic.startswith("hub."):
        raise ValueError(f"not a hub topic: {topic!r} (printable ASCII without spaces, not hub.*)")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(topic: str, message: Message) -> bytes:
    """The message as JSON, once for every subscriber; refuses what no backend should carry."""
    _check_topic(topic)
    body = orjson.dumps(message, default=_json_default)
    if len(body) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a hub message may take {MAX_MESSAGE_BYTES} bytes, not {len(body)}")
    return body


def frame(topic: str, body: bytes) -> str:
    """``=<topic>\\n<json>``: receivers read the topic, and parse the JSON only if a subscriber wants it."""
    return f"={topic}\n{body.decode()}"


class Subscription:
    """The items of some topics for one consumer: ``async with hub.subscribe("a", "b") as sub:`` then
    ``async for topic, message in sub`` or ``await sub.get(timeout=…)``.

    Items wait in a queue of at most ``limit``; when full, the oldest is dropped and counted, and the
    next item read is ``("hub.overflow", {"dropped": n})``. Items are decoded when read, each consumer
    getting its own dict. A subscription belongs to the event loop that entered it; the hub hands it
    items from any thread.
    """

    def __init__(self, hub: Hub, topics: tuple[str, ...], limit: int) -> None:
        if limit < 1:
            raise ValueError("a subscription holds at least one item")
        self.topics = frozenset(topics)
        self.limit = limit
        self._hub = hub
        self._items: deque[tuple[str, bytes | str]] = deque()
        self._dropped = 0
        self._closed = False
        self.missed = False  # the hub's listener was down since it was attached: owes a RECONNECTED
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Future[None] | None = None

    async def __aenter__(self) -> Subscription:
        self._loop = asyncio.get_running_loop()
        self._hub._attach(self)
        try:
            await self._hub.start()
        except BaseException:
            self._hub._detach(self)
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._hub._detach(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, Message]:
        try:
            return await self.get()
        except HubClosed:
            raise StopAsyncIteration from None

    @property
    def pending(self) -> int:
        """Items waiting to be read (at most ``limit``)."""
        return len(self._items)

    async def get(self, timeout: float | None = None) -> tuple[str, Message]:
        """The next ``(topic, message)``; raises ``TimeoutError`` after ``timeout`` seconds without one,
        and :class:`HubClosed` once the hub is stopped and the queue empty."""
        if self._loop is None:
            raise RuntimeError("enter the subscription first: `async with hub.subscribe(...) as sub`")
        async with asyncio.timeout(timeout):
            while not self._items and not self._dropped:
                if self._closed:
                    raise HubClosed("the hub was stopped")
                self._wakeup = self._loop.create_future()
                try:
                    await self._wakeup
                finally:
                    self._wakeup = None
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            return OVERFLOW, {"dropped": dropped}
        topic, body = self._items.popleft()
        return topic, orjson.loads(body)

    def offer(self, topic: str, body: bytes | str) -> None:
        """Queue an item, from any thread (the subscription's loop does the queueing)."""
        loop = self._loop
        if loop is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._put(topic, body)
            return
        with contextlib.suppress(RuntimeError):  # its loop is closed: nobody reads it any more
            loop.call_soon_threadsafe(self._put, topic, body)

    def close(self) -> None:
        """The hub stopped: the consumer reads what is queued, then :class:`HubClosed`."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._end)

    def _put(self, topic: str, body: bytes | str) -> None:
        if len(self._items) >= self.limit:
            self._items.popleft()
            self._dropped += 1
        self._items.append((topic, body))
        self._wake()

    def _end(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)


class Hub:
    """What every backend does: keep the process's subscriptions by topic and hand each item to those
    of its topic. Backends publish, and bring in what other processes published."""

    def __init__(self) -> None:
        self._by_topic: dict[str, set[Subscription]] = {}
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()  # subscriptions come and go on any loop's thread
        self._degraded = False  # the listener lost its connection and has not listened again since

    async def start(self) -> None:
        """Open what brings other processes' messages in (a subscription calls it; idempotent)."""

    async def stop(self) -> None:
        """Close it; every open subscription ends (:class:`HubClosed` once its queue is read)."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.close()

    async def publish(self, topic: str, message: Message) -> None:
        """Send ``message`` to every subscriber of ``topic``, in any process."""
        raise NotImplementedError

    def publish_threadsafe(self, topic: str, message: Message) -> None:
        """:meth:`publish` from any thread (a synchronous route, the dispatcher), even where no event
        loop runs: returns once sent. It waits for the server, so not from an event loop's own thread."""
        raise NotImplementedError

    def subscribe(self, *topics: str, limit: int = DEFAULT_LIMIT) -> Subscription:
        """A subscription to ``topics``, open once entered with ``async with``."""
        if not topics:
            raise ValueError("subscribe to at least one topic")
        for topic in topics:
            _check_topic(topic)
        return Subscription(self, topics, limit)

    def _attach(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.add(subscription)
            for topic in subscription.topics:
                self._by_topic.setdefault(topic, set()).add(subscription)
            subscription.missed = self._degraded

    def _detach(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)
            for topic in subscription.topics:
                subscribers = self._by_topic.get(topic)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._by_topic[topic]

    def wants(self, topic: str) -> bool:
        return topic in self._by_topic

    def fan_out(self, topic: str, body: bytes | str) -> None:
        with self._lock:
            subscribers = tuple(self._by_topic.get(topic, ()))
        for subscription in subscribers:
            subscription.offer(topic, body)

    def went_down(self) -> None:
        """The listener lost its connection: every subscription may miss messages until it is back."""
        with self._lock:
            self._degraded = True
            for subscription in self._subscriptions:
                subscription.missed = True

    def came_up(self) -> None:
        """Listening again: those that may have missed messages are told to read the state again."""
        with self._lock:
            self._degraded = False
            told = [subscription for subscription in self._subscriptions if subscription.missed]
            for subscription in told:
                subscription.missed = False
        for subscription in told:
            subscription.offer(RECONNECTED, b"{}")


class LocalHub(Hub):
    """Within one process: what the embedded mode (SQLite, one process) needs, and nothing crosses."""

    async def publish(self, topic: str, message: Message) -> None:
        self.fan_out(topic, encode(topic, message))

    def publish_threadsafe(self, topic: str, message: Message) -> None:
        self.fan_out(topic, encode(topic, message))


def hub_from_settings(settings: Settings, db: Database) -> Hub:
    """``COMPTOIR_HUB``: ``auto`` takes PostgreSQL's ``LISTEN``/``NOTIFY`` on PostgreSQL (the database every
    process already depends on: Redis, when set for the rate limits, is not made a second thing live
    shopping needs), Redis on SQLite when ``COMPTOIR_REDIS_URL`` is set, else the in-process hub (SQLite,
    one process). ``redis`` moves the traffic off PostgreSQL."""
    kind = settings.hub
    if kind == "auto":
        kind = "postgres" if db.is_postgres else "redis" if settings.redis_url else "local"
    if kind == "local":
        return LocalHub()
    from comptoir.core.pubsub_servers import PostgresHub, RedisHub  # they build on this module

    if kind == "redis":
        if not settings.redis_url:
            raise ValueError("COMPTOIR_HUB=redis needs COMPTOIR_REDIS_URL")
        return RedisHub(settings.redis_url)
    return PostgresHub(db)  # refuses a database that is not PostgreSQL


_SERVING: list[Hub] = []


def serving(hub: Hub | None) -> None:
    """Name the hub this process's application serves with (None when it stops): work of the same process
    outside a request — the dispatcher's jobs — publishes through it, so its subscribers hear it even on
    the in-process hub."""
    _SERVING.clear()
    if hub is not None:
        _SERVING.append(hub)


def process_hub() -> Hub | None:
    """The hub the application of this process serves with, if it runs one (see :func:`serving`)."""
    return _SERVING[0] if _SERVING else None
