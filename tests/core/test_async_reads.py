"""``Database.read_rows_async``: hot reads from ``async`` routes that never block the event loop — on
PostgreSQL through a few async connections per loop (fresh reads, bounded, recovered after the server
drops one, renewed after ``dispose``); on SQLite through the kept synchronous connection."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from comptoir.core.db import Database
from tests.core.conftest import PROBE_COUNT, insert_probe


def _pg_only(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("the async connections are PostgreSQL's; SQLite reads on the kept connection")


def test_each_read_sees_what_was_committed_before_it(scratch: Database) -> None:
    sql = PROBE_COUNT

    async def scenario() -> list[list[tuple[int, ...]]]:
        seen = [await scratch.read_rows_async(sql)]
        insert_probe(scratch, 1)
        seen.append(await scratch.read_rows_async(sql))
        insert_probe(scratch, 2)
        seen.append(await scratch.read_rows_async(sql))
        return seen

    assert asyncio.run(scenario()) == [[(0,)], [(1,)], [(2,)]]  # no transaction kept open between reads


def test_the_loop_serves_others_while_the_server_works(scratch: Database) -> None:
    _pg_only(scratch)

    async def scenario() -> tuple[int, list[tuple[object, ...]]]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker starts
        ticks_before = ticks
        rows = await scratch.read_rows_async("SELECT pg_sleep(0.3), 7")
        ticked = ticks - ticks_before
        done.set()
        await task
        return ticked, rows

    ticked, rows = asyncio.run(scenario())
    assert rows[0][1] == 7
    assert ticked >= 2  # the ticker ran while the statement was on the server: the loop was not blocked


def test_concurrent_reads_share_a_bounded_set_of_connections(scratch: Database) -> None:
    _pg_only(scratch)
    reads = scratch._async
    assert reads is not None
    peak = 0

    async def one(i: int) -> int:
        nonlocal peak
        rows = await scratch.read_rows_async("SELECT pg_sleep(0.02), CAST(:i AS integer)", {"i": i})
        mine = next(iter(reads.loops.values()))
        peak = max(peak, mine.open)
        return int(rows[0][1])

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(one(i) for i in range(30))))

    assert asyncio.run(scenario()) == list(range(30))
    assert 1 <= peak <= reads.max_connections


def test_a_connection_the_server_dropped_is_replaced_and_the_read_tried_again(scratch: Database) -> None:
    _pg_only(scratch)

    async def scenario() -> tuple[int, int]:
        (first,) = await scratch.read_rows_async("SELECT pg_backend_pid()")
        with scratch.engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first[0]})
        (second,) = await scratch.read_rows_async("SELECT pg_backend_pid()")
        return int(first[0]), int(second[0])

    first, second = asyncio.run(scenario())
    assert first != second


def test_disposing_of_the_engine_retires_the_connections(scratch: Database) -> None:
    _pg_only(scratch)

    async def scenario() -> tuple[int, int]:
        (first,) = await scratch.read_rows_async("SELECT pg_backend_pid()")
        scratch.dispose()
        (second,) = await scratch.read_rows_async("SELECT pg_backend_pid()")
        return int(first[0]), int(second[0])

    first, second = asyncio.run(scenario())
    assert first != second


def test_a_failing_statement_raises_and_leaves_the_connections_usable(scratch: Database) -> None:
    _pg_only(scratch)
    from asyncpg.exceptions import UndefinedTableError

    async def scenario() -> list[tuple[object, ...]]:
        with pytest.raises(UndefinedTableError):
            await scratch.read_rows_async("SELECT * FROM no_such_table")
        return await scratch.read_rows_async("SELECT 1")

    assert asyncio.run(scenario()) == [(1,)]


def test_a_loops_connections_are_closed_when_it_shuts_down(scratch: Database) -> None:
    _pg_only(scratch)

    async def scenario() -> int:
        (row,) = await scratch.read_rows_async("SELECT pg_backend_pid()")
        return int(row[0])

    pid = asyncio.run(scenario())  # asyncio.run closes the loop's async generators, then the loop
    probe = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    for _ in range(100):  # the server ends the backend a moment after the socket closes
        with scratch.engine.connect() as conn:
            if conn.execute(probe, {"pid": pid}).scalar_one() == 0:
                break
        time.sleep(0.02)
    else:
        pytest.fail("the read connection outlived its event loop")
