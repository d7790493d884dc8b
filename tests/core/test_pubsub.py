"""The live-message hub: what one API process publishes reaches the subscribers of its topic in every
process — through PostgreSQL's LISTEN/NOTIFY, Redis pub/sub, or (SQLite, one process) the process itself;
messages too large for a NOTIFY still arrive; a listener whose connection is killed listens again and
tells its subscribers they may have missed something; a slow subscriber's queue stays bounded.

Each scenario runs on the hub the settings choose for each test database (in-process on SQLite,
PostgreSQL's on PostgreSQL), and on Redis when a server answers on 127.0.0.1:6379. The hub needs no
table: the PostgreSQL database is an empty one of this module's own (NOTIFY is heard within one
database, so no other test session hears these tests, nor they it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from comptoir.core.db import Database
from comptoir.core.pubsub import (
    OVERFLOW,
    RECONNECTED,
    Hub,
    HubClosed,
    HubUnavailable,
    LocalHub,
    Subscription,
    hub_from_settings,
)
from comptoir.core.pubsub_servers import PG_PAYLOAD_BYTES, PostgresHub, RedisHub, pg_payloads
from comptoir.core.settings import Settings
from tests.conftest import create_empty_database, drop_database
from tests.support.processes import free_port
from tests.support.pubsub_latency import fake_sdp, measure_between_processes, measure_latency, next_on

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


needs_redis = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")

Pair = Callable[[], tuple[Hub, Hub]]


def _settings(db: Database, **changes: object) -> Settings:
    base = {"env": "test", "database_url": db.url, "secret_key": "k" * 40, "redis_url": None}
    return Settings(**{**base, **changes})


def topic() -> str:
    return f"test.{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def pg_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = create_empty_database("postgresql", tmp_path_factory.mktemp("hub"))
    db = Database(url, pool_size=2)
    yield db
    db.dispose()
    drop_database(url)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'hub.db'}")
    yield db
    db.dispose()


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def empty_db(request: pytest.FixtureRequest) -> Database:
    db: Database = request.getfixturevalue("pg_db" if request.param == "postgresql" else "sqlite_db")
    return db


@pytest.fixture(params=[*DATABASES, pytest.param("redis", marks=needs_redis)])
def hubs(request: pytest.FixtureRequest) -> Iterator[Pair]:
    """Two hubs as two API processes hold them (one publishes, one subscribes): the one the settings
    pick for each test database (in-process on SQLite: the same hub twice), or Redis's."""
    if request.param == "redis":
        yield lambda: (RedisHub(REDIS_URL), RedisHub(REDIS_URL))
        return
    db: Database = request.getfixturevalue("pg_db" if request.param == "postgresql" else "sqlite_db")

    def pair() -> tuple[Hub, Hub]:
        first = hub_from_settings(_settings(db), db)
        return (
            (first, first) if isinstance(first, LocalHub) else (first, hub_from_settings(_settings(db), db))
        )

    yield pair


def run(pair: Pair, scenario: Callable[[Hub, Hub], Awaitable[None]]) -> None:
    async def main() -> None:
        publisher, listener = pair()
        try:
            await scenario(publisher, listener)
        finally:
            await publisher.stop()
            await listener.stop()

    asyncio.run(main())


async def nothing_on(sub: Subscription, seconds: float = 0.2) -> bool:
    try:
        await sub.get(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_a_message_reaches_the_subscribers_of_its_topic_only(hubs: Pair) -> None:
    a, b, c = topic(), topic(), topic()

    async def scenario(publisher: Hub, listener: Hub) -> None:
        async with (
            listener.subscribe(a) as only_a,
            listener.subscribe(a, b) as a_and_b,
            listener.subscribe(c) as only_c,
        ):
            await publisher.publish(a, {"offer": "off_1", "price": Decimal("12.50"), "ok": True})
            await publisher.publish(b, {"n": 2})
            # the types every backend carries: a decimal arrives as a string, as it would through JSON
            expected = (a, {"offer": "off_1", "price": "12.50", "ok": True})
            assert await only_a.get(timeout=5) == expected
            assert await a_and_b.get(timeout=5) == expected
            assert await a_and_b.get(timeout=5) == (b, {"n": 2})
            assert await nothing_on(only_a) and await nothing_on(only_c)

    run(hubs, scenario)


def test_messages_larger_than_a_notify_payload_get_through(hubs: Pair) -> None:
    noise = base64.b64encode(os.urandom(15_000)).decode()  # 20 KB that no compression shrinks
    offer = fake_sdp(10_000)  # a large WebRTC offer
    assert len(pg_payloads("t", noise.encode())) > 1 and len(pg_payloads("t", offer.encode())) == 1
    name = topic()

    async def scenario(publisher: Hub, listener: Hub) -> None:
        async with listener.subscribe(name) as sub:
            await publisher.publish(name, {"noise": noise})
            await publisher.publish(name, {"sdp": offer, "é": "😀"})
            assert await sub.get(timeout=5) == (name, {"noise": noise})
            assert await sub.get(timeout=5) == (name, {"sdp": offer, "é": "😀"})

    run(hubs, scenario)


def test_every_notify_payload_stays_under_postgresqls_limit() -> None:
    for size in (10, 7_000, 8_000, 20_000, 200_000):
        body = base64.b64encode(os.urandom(size)).decode().encode()
        assert all(len(p.encode()) < min(PG_PAYLOAD_BYTES + 1, 8000) for p in pg_payloads("t" * 200, body))


def test_publishing_from_worker_threads_and_other_event_loops(hubs: Pair) -> None:
    name = topic()

    async def scenario(publisher: Hub, listener: Hub) -> None:
        async with listener.subscribe(name) as sub:
            await publisher.start()
            # a synchronous route's worker thread, or the dispatcher's: no event loop there
            thread = threading.Thread(target=publisher.publish_threadsafe, args=(name, {"from": "thread"}))
            thread.start()
            await asyncio.to_thread(thread.join)
            assert await sub.get(timeout=5) == (name, {"from": "thread"})
            # another event loop than the one the hub listens on (a test client's, say)
            await asyncio.to_thread(asyncio.run, publisher.publish(name, {"from": "loop"}))
            assert await sub.get(timeout=5) == (name, {"from": "loop"})

    run(hubs, scenario)


def test_a_slow_subscriber_loses_its_oldest_items_not_the_processs_memory(hubs: Pair) -> None:
    name, marker = topic(), topic()

    async def scenario(publisher: Hub, listener: Hub) -> None:
        async with listener.subscribe(name, limit=8) as slow, listener.subscribe(marker) as done:
            for i in range(100):
                await publisher.publish(name, {"i": i})
            await publisher.publish(marker, {})
            await next_on(done, marker)  # every earlier message was handed over by now
            await asyncio.sleep(0.05)
            assert slow.pending == 8
            assert await slow.get(timeout=1) == (OVERFLOW, {"dropped": 92})
            assert [(await slow.get(timeout=1))[1]["i"] for _ in range(8)] == list(range(92, 100))

    run(hubs, scenario)


def test_stopping_the_hub_ends_its_subscriptions(hubs: Pair) -> None:
    name = topic()

    async def scenario(publisher: Hub, listener: Hub) -> None:
        async with listener.subscribe(name) as sub:
            await publisher.publish(name, {"last": True})
            await next_on(sub, name)

            async def read_all() -> list[object]:
                return [item async for item in sub]

            reader = asyncio.create_task(read_all())
            await asyncio.sleep(0.05)
            await listener.stop()
            assert await asyncio.wait_for(reader, 5) == []
            with pytest.raises(HubClosed):
                await sub.get(timeout=1)

    run(hubs, scenario)


def test_topics_and_messages_are_checked() -> None:
    hub = LocalHub()
    for bad in ("", "a b", "hub.reconnected", "é", "x" * 201):
        with pytest.raises(ValueError):
            hub.subscribe(bad)
        with pytest.raises(ValueError):
            hub.publish_threadsafe(bad, {})
    with pytest.raises(ValueError):
        hub.publish_threadsafe("big", {"blob": "x" * 300_000})
    with pytest.raises(TypeError):
        hub.publish_threadsafe("odd", {"what": object()})


def test_the_settings_choose_the_hub(empty_db: Database) -> None:
    database = empty_db
    chosen = hub_from_settings(_settings(database), database)
    assert isinstance(chosen, PostgresHub if database.is_postgres else LocalHub)
    # with Redis set (for the rate limits): PostgreSQL stays the hub on PostgreSQL; Redis carries it on SQLite
    with_redis = hub_from_settings(_settings(database, redis_url=REDIS_URL), database)
    assert isinstance(with_redis, PostgresHub if database.is_postgres else RedisHub)
    assert isinstance(
        hub_from_settings(_settings(database, redis_url=REDIS_URL, hub="redis"), database), RedisHub
    )
    assert isinstance(hub_from_settings(_settings(database, hub="local"), database), LocalHub)
    with pytest.raises(ValueError, match="COMPTOIR_REDIS_URL"):
        hub_from_settings(_settings(database, hub="redis"), database)
    if not database.is_postgres:
        with pytest.raises(ValueError, match="PostgreSQL"):
            hub_from_settings(_settings(database, hub="postgres"), database)


def _terminate(database: Database, application_name: str) -> int:
    with database.engine.connect() as conn:
        killed = conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        ).all()
        conn.commit()
    return len(killed)


@pytest.mark.postgres
def test_the_listener_listens_again_after_its_connection_is_killed(pg_db: Database) -> None:
    database, name = pg_db, topic()

    async def scenario() -> None:
        listener, publisher = PostgresHub(database), PostgresHub(database)
        try:
            async with listener.subscribe(name) as sub:
                await publisher.publish(name, {"n": 1})
                assert await sub.get(timeout=5) == (name, {"n": 1})
                # when the listening backend is killed (as a restart or an administrator would)
                assert await asyncio.to_thread(_terminate, database, listener.application_name) == 1
                # then the subscription is told it may have missed messages once listening again
                assert await sub.get(timeout=10) == (RECONNECTED, {})
                # and messages published afterwards arrive, from another process or its own
                await publisher.publish(name, {"n": 2})
                assert await sub.get(timeout=5) == (name, {"n": 2})
                await listener.publish(name, {"n": 3})
                assert await sub.get(timeout=5) == (name, {"n": 3})
                # a publish that finds its connection killed goes through on the next one
                assert await asyncio.to_thread(_terminate, database, publisher.application_name) == 1
                await publisher.publish(name, {"n": 4})
                assert await next_on(sub, name) == {"n": 4}
        finally:
            await listener.stop()
            await publisher.stop()

    asyncio.run(scenario())


class Outage:
    """A TCP relay to PostgreSQL that can go down and come back, as the server does when restarted:
    down, it drops every connection it relays and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers = []

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        far_reader, far_writer = await asyncio.open_connection(*self.upstream)
        self.writers += [writer, far_writer]
        await asyncio.gather(self._pipe(reader, far_writer), self._pipe(far_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


@pytest.mark.postgres
def test_the_listener_waits_out_a_server_that_is_down(pg_db: Database) -> None:
    url = make_url(pg_db.url)
    outage = Outage((url.host or "127.0.0.1", url.port or 5432))
    relayed = Database(url.set(host="127.0.0.1", port=outage.port).render_as_string(hide_password=False))
    name = topic()

    async def scenario() -> None:
        listener = PostgresHub(relayed, ping_seconds=1, timeout_seconds=1, retry_max_seconds=0.2)
        publisher = PostgresHub(pg_db)
        try:
            # given a server that does not answer when the subscription opens
            async with listener.subscribe(name) as sub:
                with pytest.raises(HubUnavailable):
                    await listener.publish(name, {"n": 0})
                # when it comes up: the subscription is told it may have missed messages, then hears
                await outage.up()
                assert await sub.get(timeout=10) == (RECONNECTED, {})
                await publisher.publish(name, {"n": 1})
                assert await sub.get(timeout=5) == (name, {"n": 1})
                # and when it goes down and comes back (a restart), what was published meanwhile is
                # lost, the subscription told so, and what is published afterwards arrives
                await outage.down()
                await publisher.publish(name, {"n": 2})
                await asyncio.sleep(0.5)
                await outage.up()
                assert await sub.get(timeout=10) == (RECONNECTED, {})
                await publisher.publish(name, {"n": 3})
                assert await sub.get(timeout=5) == (name, {"n": 3})
        finally:
            await listener.stop()
            await publisher.stop()
            await outage.down()

    try:
        asyncio.run(scenario())
    finally:
        relayed.dispose()


@needs_redis
def test_the_redis_listener_listens_again_after_its_connection_is_killed() -> None:
    import redis

    name = topic()

    async def scenario() -> None:
        listener, publisher = RedisHub(REDIS_URL), RedisHub(REDIS_URL)
        admin = redis.Redis.from_url(REDIS_URL)
        try:
            async with listener.subscribe(name) as sub:
                await publisher.publish(name, {"n": 1})
                assert await sub.get(timeout=5) == (name, {"n": 1})
                ids = [c["id"] for c in admin.client_list() if c["name"] == listener.client_name]
                assert len(ids) == 1
                admin.client_kill_filter(_id=ids[0])
                assert await sub.get(timeout=10) == (RECONNECTED, {})
                await publisher.publish(name, {"n": 2})
                assert await sub.get(timeout=5) == (name, {"n": 2})
        finally:
            admin.close()
            await listener.stop()
            await publisher.stop()

    asyncio.run(scenario())


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_hear_each_other_through_postgresql(pg_db: Database) -> None:
    # a peer process subscribes and answers each message; this one publishes and hears the answers
    one_way, round_trips, answers = asyncio.run(
        measure_between_processes("postgres", pg_db.url, 5, payload_bytes=20_000)
    )
    assert [answer["i"] for answer in answers] == list(range(5))
    assert all(len(answer["sdp"]) == 20_000 for answer in answers)  # 20 KB each way
    assert all(0 < t < 5 for t in one_way) and all(0 < t < 5 for t in round_trips)


def test_measure_latency_times_each_message(hubs: Pair) -> None:
    found: list[float] = []

    async def scenario(publisher: Hub, listener: Hub) -> None:
        started = time.perf_counter()
        found.extend(await measure_latency(publisher, listener, 20, payload_bytes=3000))
        assert sum(found) <= time.perf_counter() - started

    run(hubs, scenario)
    assert len(found) == 20 and all(t > 0 for t in found)
