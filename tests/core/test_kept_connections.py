"""``Database.read_rows``: hot reads on a connection kept per thread — fresh, recovered, released."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from comptoir.core.db import Database
from tests.conftest import BACKENDS, create_empty_database, drop_database


@pytest.fixture(params=BACKENDS)
def scratch(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = create_empty_database(request.param, tmp_path)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE kept_probe (n INTEGER NOT NULL)"))
    try:
        yield db
    finally:
        db.dispose()
        drop_database(url)


def _insert(db: Database, n: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO kept_probe (n) VALUES (:n)"), {"n": n})


def _count_sql(db: Database) -> str:
    return "SELECT count(*) FROM kept_probe"


def test_each_read_sees_what_was_committed_before_it(scratch: Database) -> None:
    sql = _count_sql(scratch)
    assert scratch.read_rows(sql, ()) == [(0,)]
    _insert(scratch, 1)
    assert scratch.read_rows(sql, ()) == [(1,)]  # the kept connection holds no old snapshot
    _insert(scratch, 2)
    assert scratch.read_rows(sql, ()) == [(2,)]


def test_one_connection_per_thread_and_none_taken_from_the_pool_each_time(scratch: Database) -> None:
    sql = _count_sql(scratch)
    for _ in range(20):
        scratch.read_rows(sql, ())
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(len(scratch.read_rows(sql, ()))))
    thread.start()
    thread.join()
    assert seen == [1]
    assert len(scratch._kept.kept) == 2
    assert scratch.engine.pool.checkedout() == 2  # type: ignore[attr-defined]


def test_disposing_of_the_engine_closes_the_kept_connections(scratch: Database) -> None:
    scratch.read_rows(_count_sql(scratch), ())
    scratch.dispose()
    assert scratch._kept.kept == []
    assert scratch.read_rows(_count_sql(scratch), ()) == [(0,)]  # and a new one is opened on demand


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced(scratch: Database) -> None:
    if not scratch.is_postgres:
        pytest.skip("PostgreSQL only")
    sql = "SELECT pg_backend_pid()"
    (first,) = scratch.read_rows(sql, ())[0]
    with scratch.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    (second,) = scratch.read_rows(sql, ())[0]
    assert second != first
    assert scratch.read_rows(_count_sql(scratch), ()) == [(0,)]
