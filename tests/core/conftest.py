"""Fixtures shared by the kernel's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from comptoir.core.db import Database
from tests.conftest import BACKENDS, create_empty_database, drop_database

PROBE_COUNT = "SELECT count(*) FROM read_probe"


@pytest.fixture(params=BACKENDS)
def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each backend holding one table, ``read_probe (n)``, for the hot-read paths
    (``Database.read_rows`` and ``read_rows_async``); dropped afterwards."""
    url = create_empty_database(request.param, tmp_path)
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE read_probe (n INTEGER NOT NULL)"))
    try:
        yield db
    finally:
        db.dispose()
        drop_database(url)


def insert_probe(db: Database, n: int) -> None:
    """Commit one row into ``read_probe`` (as another writer would)."""
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO read_probe (n) VALUES (:n)"), {"n": n})
