"""``Database.read_rows``: hot reads on a connection kept per thread — fresh, recovered, released."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from comptoir.core.db import Database
from tests.core.conftest import PROBE_COUNT, insert_probe


def test_each_read_sees_what_was_committed_before_it(scratch: Database) -> None:
    sql = PROBE_COUNT
    assert scratch.read_rows(sql) == [(0,)]
    insert_probe(scratch, 1)
    assert scratch.read_rows(sql) == [(1,)]  # the kept connection holds no old snapshot
    insert_probe(scratch, 2)
    assert scratch.read_rows(sql) == [(2,)]


def test_one_connection_per_thread_and_none_taken_from_the_pool_each_time(scratch: Database) -> None:
    sql = PROBE_COUNT
    for _ in range(20):
        scratch.read_rows(sql)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(len(scratch.read_rows(sql))))
    thread.start()
    thread.join()
    assert seen == [1]
    assert len(scratch._kept.kept) == 2
    assert scratch.engine.pool.checkedout() == 2  # type: ignore[attr-defined]


def test_disposing_of_the_engine_closes_the_kept_connections(scratch: Database) -> None:
    scratch.read_rows(PROBE_COUNT)
    scratch.dispose()
    assert scratch._kept.kept == []
    assert scratch.read_rows(PROBE_COUNT) == [(0,)]  # and a new one is opened on demand


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced(scratch: Database) -> None:
    if not scratch.is_postgres:
        pytest.skip("PostgreSQL only")
    sql = "SELECT pg_backend_pid()"
    (first,) = scratch.read_rows(sql)[0]
    with scratch.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    (second,) = scratch.read_rows(sql)[0]
    assert second != first
    assert scratch.read_rows(PROBE_COUNT) == [(0,)]


def test_the_connections_of_ended_threads_go_back_to_the_pool(scratch: Database) -> None:
    # More short-lived threads than the pool holds (a test client's loop runs in a thread of its own).
    for _ in range(30):
        thread = threading.Thread(target=scratch.read_rows, args=(PROBE_COUNT,))
        thread.start()
        thread.join()
    assert len(scratch._kept.kept) == 1  # only the last thread's: the others were closed when it opened
    assert scratch.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
