"""Scratch PostgreSQL databases for the benchmarks: made on a server, migrated to head, dropped after.

The server is ``--pg``-style argument when a benchmark takes one, else ``COMPTOIR_BENCH_DATABASE_URL``,
else ``COMPTOIR_TEST_DATABASE_URL``, else the local ``postgres`` superuser.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def server_url(explicit: str | None = None) -> str:
    """The PostgreSQL server to make scratch databases on, with the psycopg driver named."""
    url = (
        explicit
        or os.environ.get("COMPTOIR_BENCH_DATABASE_URL")
        or os.environ.get("COMPTOIR_TEST_DATABASE_URL")
        or DEFAULT_SERVER
    )
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _admin(server: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def reachable(server: str) -> bool:
    """Whether ``server`` is a PostgreSQL server that answers."""
    if not server.startswith("postgresql"):
        return False
    from sqlalchemy import text

    engine = _admin(server)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextmanager
def scratch_database(
    server: str | None = None, *, label: str = "bench", migrate: bool = True
) -> Iterator[str]:
    """A new database on ``server`` (see :func:`server_url`), migrated to head unless told not to;
    dropped on exit, its connections forced closed."""
    from sqlalchemy import text

    server = server_url(server)
    name = f"comptoir_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server.rsplit('/', 1)[0]}/{name}"
    try:
        if migrate:
            from comptoir.core.migrate import upgrade

            upgrade(url, "head")
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
