"""The hubs that cross processes: PostgreSQL's ``LISTEN``/``NOTIFY`` and Redis pub/sub (see
:mod:`comptoir.core.pubsub` for the hub, its subscriptions and why one channel serves every topic).

Both keep one listening connection per process, opened by a task on the event loop that started the
hub and opened again whenever it breaks, retrying with a growing pause; a quiet connection is pinged, so
a network that went silent is noticed too. Subscriptions attached meanwhile are owed a
``("hub.reconnected", {})`` item, given once listening again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import os
import secrets
import threading
import zlib
from collections import OrderedDict
from typing import Any

from comptoir.core.db import Database
from comptoir.core.pubsub import Hub, HubUnavailable, Message, encode, frame, log

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
PG_PAYLOAD_BYTES = 7900


def pg_payloads(topic: str, body: bytes) -> list[str]:
    """The NOTIFY payloads of one message: one frame if it fits in a payload, else the compressed JSON
    in base64 cut into ``~<id> <index> <count> <topic>\\n<piece>`` pieces (one for most SDP offers)."""
    if len(body) + len(topic) + 2 <= PG_PAYLOAD_BYTES:
        return [frame(topic, body)]
    packed = base64.b64encode(zlib.compress(body, 6)).decode("ascii")
    room = PG_PAYLOAD_BYTES - len(topic) - 40
    pieces = [packed[start : start + room] for start in range(0, len(packed), room)]
    ident = secrets.token_hex(6)
    return [f"~{ident} {i} {len(pieces)} {topic}\n{piece}" for i, piece in enumerate(pieces)]


class _ListeningHub(Hub):
    """A hub whose listener is one connection to a server, kept open by a task on the event loop that
    started it: opened again whenever it breaks, pinged when quiet so a silent network is noticed."""

    def __init__(self, *, ping_seconds: float, timeout_seconds: float, retry_max_seconds: float) -> None:
        super().__init__()
        self.ping_seconds = ping_seconds
        self.timeout_seconds = timeout_seconds
        self.retry_max_seconds = retry_max_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None  # the open connection, None while reconnecting
        self._gone = asyncio.Event()  # set when the open connection is found broken
        self._up = asyncio.Event()
        self._settled = asyncio.Event()  # the first attempt is over, whichever way

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is None or self._loop.is_closed():
            self._loop, self._up, self._settled = loop, asyncio.Event(), asyncio.Event()
            self._task = loop.create_task(self._listen_forever(), name=f"{type(self).__name__} listener")
        if self._loop is not loop:
            return  # listening on another loop's thread: this loop's subscriptions are fed from there
        if self._settled.is_set():
            return
        try:
            await asyncio.wait_for(self._settled.wait(), self.timeout_seconds)
        except TimeoutError:
            log.warning("hub not listening yet: subscriptions will be told when it is")
            self.went_down()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and self._loop is asyncio.get_running_loop():
            await self._halt(task)
        elif task is not None and self._loop is not None and self._loop.is_running():
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._halt(task), self._loop))
        await super().stop()

    @staticmethod
    async def _halt(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def publish(self, topic: str, message: Message) -> None:
        body = encode(topic, message)
        if self._task is not None and self._loop is not asyncio.get_running_loop():
            await asyncio.to_thread(self._send_sync, topic, body)  # the connection is another loop's
            return
        await self.start()
        for attempt in (1, 2):
            try:
                if not self._up.is_set():
                    await asyncio.wait_for(self._up.wait(), self.timeout_seconds)
            except TimeoutError:
                raise HubUnavailable(f"{type(self).__name__} is not connected") from None
            conn = self._conn
            try:
                await self._send(conn, topic, body)
                return
            except Exception:
                if attempt == 2 or not self._broken(conn):
                    raise
                await self._lost(conn)

    def publish_threadsafe(self, topic: str, message: Message) -> None:
        self._send_sync(topic, encode(topic, message))

    async def _listen_forever(self) -> None:
        """Listen, and listen again whenever the connection breaks. Any error is the connection's (or
        the server's): a listener that stopped would leave every subscription waiting in silence."""
        pause = 0.05
        while True:
            try:
                conn = await asyncio.wait_for(self._open(), self.timeout_seconds * 2)
            except Exception as exc:
                self._down(exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.retry_max_seconds)
                continue
            pause = 0.05
            try:
                self._gone = asyncio.Event()
                self._conn = conn
                self._up.set()
                self._settled.set()
                if self._degraded:
                    log.info("hub listening again")
                self.came_up()
                await self._serve(conn)
                self._down(None)
            except Exception as exc:
                self._down(exc)
            finally:
                self._conn = None
                self._up.clear()
                await self._close(conn)

    def _down(self, exc: BaseException | None) -> None:
        if not self._degraded:
            reason = "connection closed" if exc is None else f"{type(exc).__name__}: {exc}"[:300]
            log.warning("hub not listening: connecting again until it is", extra={"error": reason})
        self.went_down()
        self._settled.set()
        self._up.clear()

    async def _lost(self, conn: Any) -> None:
        """A publish found ``conn`` broken: tell the listener (a driver does not always say so when the
        server closes a connection in the middle of a statement), then wait for its next one."""
        if self._conn is conn:
            self._gone.set()
        for _ in range(int(self.timeout_seconds / 0.01)):
            if self._conn is not conn:
                return
            await asyncio.sleep(0.01)

    # What each backend provides.
    async def _open(self) -> Any:
        """A new connection, listening: messages flow to :meth:`receive` from the moment it returns."""
        raise NotImplementedError

    async def _serve(self, conn: Any) -> None:
        """Keep listening until the connection breaks (returns or raises)."""
        raise NotImplementedError

    async def _close(self, conn: Any) -> None:
        raise NotImplementedError

    def _broken(self, conn: Any) -> bool:
        raise NotImplementedError

    async def _send(self, conn: Any, topic: str, body: bytes) -> None:
        raise NotImplementedError

    def _send_sync(self, topic: str, body: bytes) -> None:
        raise NotImplementedError

    def _piece(self, head: str, piece: str) -> None:
        """One piece of a message cut in several payloads (PostgreSQL)."""
        raise NotImplementedError

    def receive(self, payload: str) -> None:
        """A frame from the server: handed to this process's subscribers of its topic, if any."""
        head, _, rest = payload.partition("\n")
        if head.startswith("="):
            if self.wants(head[1:]):
                self.fan_out(head[1:], rest)
        elif head.startswith("~"):
            self._piece(head[1:], rest)
        else:
            log.warning("hub payload ignored: unknown framing", extra={"head": head[:80]})


class PostgresHub(_ListeningHub):
    """``LISTEN``/``NOTIFY`` on the application's PostgreSQL database, on one channel.

    The connection is asyncpg's (:mod:`comptoir.core.async_reads`' driver), which hands each
    notification to the event loop as it arrives and runs statements on the same connection meanwhile:
    one connection both listens and publishes. Its ``application_name`` (:attr:`application_name`)
    tells it apart in ``pg_stat_activity``. :meth:`publish_threadsafe` uses a pooled connection of the
    application's engine: it works from any thread, even where no event loop runs.
    """

    def __init__(
        self,
        db: Database,
        *,
        channel: str = "comptoir_hub",
        ping_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        retry_max_seconds: float = 5.0,
    ) -> None:
        if not db.is_postgres:
            raise ValueError("PostgresHub needs a PostgreSQL database")
        import asyncpg  # loaded with a PostgreSQL engine only

        super().__init__(
            ping_seconds=ping_seconds, timeout_seconds=timeout_seconds, retry_max_seconds=retry_max_seconds
        )
        self._asyncpg: Any = asyncpg
        self.db = db
        self.channel = channel
        self.application_name = f"comptoir_hub_{os.getpid()}_{secrets.token_hex(4)}"
        self._dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._statement = asyncio.Lock()  # one statement at a time on the connection
        self._pieces: OrderedDict[str, list[str]] = OrderedDict()

    async def _open(self) -> Any:
        conn = await self._asyncpg.connect(
            self._dsn,
            timeout=self.timeout_seconds,
            server_settings={"application_name": self.application_name},
        )
        try:
            await conn.add_listener(self.channel, self._notified)
        except BaseException:
            conn.terminate()
            raise
        self._statement = asyncio.Lock()
        self._pieces.clear()
        return conn

    async def _serve(self, conn: Any) -> None:
        gone = self._gone
        conn.add_termination_listener(lambda _conn: gone.set())
        while not conn.is_closed():
            try:
                await asyncio.wait_for(gone.wait(), self.ping_seconds)
                return
            except TimeoutError:
                async with self._statement:
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), self.timeout_seconds)

    async def _close(self, conn: Any) -> None:
        conn.terminate()

    def _broken(self, conn: Any) -> bool:
        return bool(conn is None or conn.is_closed())

    async def _send(self, conn: Any, topic: str, body: bytes) -> None:
        payloads = pg_payloads(topic, body)
        async with self._statement:
            if len(payloads) == 1:
                await conn.execute("SELECT pg_notify($1, $2)", self.channel, payloads[0])
            else:  # one statement, one transaction: delivered together, in order
                await conn.execute(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", self.channel, payloads
                )

    def _send_sync(self, topic: str, body: bytes) -> None:
        from sqlalchemy import text

        payloads = pg_payloads(topic, body)
        with self.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(
                text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
                {"channel": self.channel, "payloads": payloads},
            )

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self.receive(payload)
        except Exception:  # a stranger's NOTIFY on our channel must not stop the listener
            log.exception("hub payload ignored")

    def _piece(self, head: str, piece: str) -> None:
        """One piece of a message too large for one payload: the pieces of a message come one after
        the other (one transaction), so at most a few messages are ever half read."""
        ident, index, count, topic = head.split(" ", 3)
        if not self.wants(topic):
            return
        pieces = self._pieces.get(ident)
        if pieces is None:
            if index != "0":
                return  # its start went by before this process listened
            pieces = self._pieces[ident] = []
            while len(self._pieces) > 16:
                self._pieces.popitem(last=False)
        pieces.append(piece)
        if len(pieces) != int(index) + 1:
            del self._pieces[ident]
            log.warning("hub message dropped: pieces out of order", extra={"topic": topic})
        elif len(pieces) == int(count):
            del self._pieces[ident]
            try:
                body = zlib.decompress(base64.b64decode("".join(pieces)))
            except (binascii.Error, zlib.error):
                log.warning("hub message dropped: undecodable", extra={"topic": topic})
                return
            self.fan_out(topic, body)


class RedisHub(_ListeningHub):
    """Redis pub/sub (``COMPTOIR_REDIS_URL``), on one channel, for the same reasons as PostgreSQL.

    The listening connection is the asyncio client's ``PubSub``, with redis-py's own retries off so a
    broken connection shows (the hub reconnects and tells the subscriptions, where redis-py would
    subscribe again silently). Publishing goes through another client, whose retries are redis-py's,
    and :meth:`publish_threadsafe` through a synchronous client's pool.
    """

    def __init__(
        self,
        url: str,
        *,
        channel: str = "comptoir:hub",
        ping_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        retry_max_seconds: float = 5.0,
    ) -> None:
        import redis
        import redis.asyncio

        super().__init__(
            ping_seconds=ping_seconds, timeout_seconds=timeout_seconds, retry_max_seconds=retry_max_seconds
        )
        self._redis: Any = redis
        self.url = url
        self.channel = channel
        self.client_name = f"comptoir_hub_{os.getpid()}_{secrets.token_hex(4)}"
        self._sync: Any = None
        self._sync_lock = threading.Lock()

    async def _open(self) -> Any:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        client = self._redis.asyncio.Redis.from_url(
            self.url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=self.timeout_seconds,
            client_name=self.client_name,
        )
        publisher = self._redis.asyncio.Redis.from_url(
            self.url, socket_connect_timeout=self.timeout_seconds, socket_timeout=self.timeout_seconds
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while True:  # listening once Redis confirms
                reply = await pubsub.get_message(timeout=self.timeout_seconds)
                if reply is None:
                    raise TimeoutError("Redis did not confirm the subscription")
                if reply["type"] == "subscribe":
                    return pubsub, client, publisher
        except BaseException:
            await self._close((pubsub, client, publisher))
            raise

    async def _serve(self, conn: Any) -> None:
        pubsub = conn[0]
        pinged = False
        while True:
            reply = await pubsub.get_message(timeout=self.timeout_seconds if pinged else self.ping_seconds)
            if reply is None:
                if pinged:
                    raise TimeoutError("Redis did not answer a ping")
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            if reply["type"] == "message":
                data = reply["data"]
                self.receive(data.decode() if isinstance(data, bytes) else data)

    async def _close(self, conn: Any) -> None:
        for closable in conn:  # the PubSub, then its client, then the publishing client
            with contextlib.suppress(Exception):
                await closable.aclose()

    def _broken(self, conn: Any) -> bool:
        return False  # the publishing client has retried already

    async def _send(self, conn: Any, topic: str, body: bytes) -> None:
        await conn[2].publish(self.channel, frame(topic, body))

    def _send_sync(self, topic: str, body: bytes) -> None:
        with self._sync_lock:
            if self._sync is None:
                self._sync = self._redis.Redis.from_url(
                    self.url, socket_connect_timeout=self.timeout_seconds, socket_timeout=self.timeout_seconds
                )
        self._sync.publish(self.channel, frame(topic, body))

    def _piece(self, head: str, piece: str) -> None:
        log.warning("hub payload ignored: Redis messages come whole")

    async def stop(self) -> None:
        await super().stop()
        with self._sync_lock:
            sync, self._sync = self._sync, None
        if sync is not None:
            sync.close()
