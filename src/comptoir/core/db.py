"""Database: declarative base, portable column types, engines for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, String, TypeDecorator, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, sessionmaker
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import NullPool

from comptoir.core.async_reads import AsyncReads
from comptoir.core.statements import Statement, Statements

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

# Tables a migration creates by hand that no model describes (e.g. SQLite FTS5 virtual tables and their
# shadow tables): glob patterns that autogenerate and the models-match-migrations test leave alone.
UNMANAGED_TABLES: set[str] = set()


def is_unmanaged_table(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in UNMANAGED_TABLES)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version`` (answers 412 on If-Match)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Provenance:
    """Which channel and API key created and last changed a row (set automatically on flush)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_channel: Mapped[str | None] = mapped_column(String(64))
    created_by_key: Mapped[str | None] = mapped_column(String(40))
    updated_channel: Mapped[str | None] = mapped_column(String(64))
    updated_by_key: Mapped[str | None] = mapped_column(String(40))


def insert_ignore(session: OrmSession, model: Any, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on both backends; returns how many rows were inserted."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        stmt: Any = pg_insert(model).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(model).on_conflict_do_nothing()
    # rowcount is unreliable for executemany: count the rows RETURNING gives back instead.
    key = list(model.__table__.primary_key.columns)
    return len(session.execute(stmt.returning(*key), rows).all())


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url[len(prefix) :].split("?", 1)[0])
    return None


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create an engine. SQLite: WAL, foreign keys, busy timeout, ``BEGIN IMMEDIATE`` for writers."""
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size * 2, "pool_pre_ping": True}
    if pool_size == 0:
        kwargs = {"poolclass": NullPool}
    return create_engine(url, echo=echo, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions defer locks badly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock upgrading a read lock.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


class _KeptConnections:
    """One DBAPI connection per thread, kept out of the pool, for the hottest single-statement reads.

    Checking a connection out of the pool and resetting it on return cost as much as running a short
    SELECT (and a round trip more on PostgreSQL, to end the transaction). A kept connection is in
    autocommit, so each statement sees what is committed when it runs and no transaction stays open.
    A connection that fails is dropped and the statement tried once more on a new one (a server
    restart); the connections of threads that have ended are closed when the next one is opened (a
    test client runs each client's loop in a thread of its own), and disposing of the engine closes
    every kept connection.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements = Statements(engine.dialect)
        self.local = threading.local()
        self.kept: list[tuple[threading.Thread, Any]] = []  # (the thread it serves, the connection)
        self.generation = 0  # bumped when every kept connection is closed
        self.lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _current(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None or self.local.generation != self.generation:
            return self._open()
        return conn

    def rows(self, statement: Statement, params: Mapping[str, Any] | None) -> list[tuple[Any, ...]]:
        sql, arguments = self.statements.prepare(statement, params)
        for attempt in (1, 2):
            conn = self._current()
            try:
                cursor = conn.cursor()
                cursor.execute(sql, arguments)
                found = cursor.fetchall()
                cursor.close()
                return list(found)
            except self.engine.dialect.loaded_dbapi.Error:
                self._drop(conn)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _open(self) -> Any:
        with self.lock:
            ended = [conn for thread, conn in self.kept if not thread.is_alive()]
            self.kept = [(thread, conn) for thread, conn in self.kept if thread.is_alive()]
        for gone in ended:
            gone.invalidate()  # its thread is gone: the pool gets the slot back
        conn: Any = self.engine.raw_connection()
        if self.engine.dialect.name == "postgresql":
            conn.rollback()  # the pool's pre-ping may have begun a transaction
            conn.driver_connection.autocommit = True
        with self.lock:
            self.kept.append((threading.current_thread(), conn))
            self.local.conn, self.local.generation = conn, self.generation
        return conn

    def _drop(self, conn: Any) -> None:
        self.local.conn = None
        with self.lock:
            self.kept = [(thread, kept) for thread, kept in self.kept if kept is not conn]
        conn.invalidate()  # closed, never given back to the pool in autocommit

    def close(self) -> None:
        with self.lock:
            kept, self.kept = self.kept, []
            self.generation += 1
        for _, conn in kept:
            conn.invalidate()


class Database:
    """An engine and its session factories: ``writer`` (default) and ``reader`` (no write lock on SQLite)."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.dialect = self.engine.dialect.name
        self.writer = sessionmaker(bind=self.engine, expire_on_commit=False, class_=OrmSession)
        reader_engine = (
            self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite else self.engine
        )
        self.reader = sessionmaker(bind=reader_engine, expire_on_commit=False, class_=OrmSession)
        self._kept = _KeptConnections(self.engine)
        self._async = AsyncReads(self.engine) if self.is_postgres else None
        if self._async is not None:
            event.listen(self.engine, "engine_disposed", self._async.on_dispose)

    def read_rows(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one SELECT (a Core statement, or SQL text with ``:name`` parameters, compiled once: see
        :mod:`comptoir.core.statements`) on this thread's kept connection: for hot read paths only,
        where a pooled connection per call costs too much."""
        return self._kept.rows(statement, params)

    async def read_rows_async(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """:meth:`read_rows` for ``async`` routes: on PostgreSQL the event loop awaits the server's
        answer on a connection of its own (:mod:`comptoir.core.async_reads`) and serves other requests
        meanwhile; on SQLite, where a read is in-process work with no round trip, the kept connection."""
        if self._async is None:
            return self.read_rows(statement, params)
        return await self._async.rows(statement, params)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
