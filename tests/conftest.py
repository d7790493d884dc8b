"""Test fixtures: every database test runs on SQLite and, when COMPTOIR_TEST_DATABASE_URL is set, on
PostgreSQL too. Each test session gets its own PostgreSQL database (so parallel runs never collide),
and every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from comptoir.core.auth import ApiKeyCreate, create_key
from comptoir.core.db import Base, Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.migrate import upgrade
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.domains import load_models

# Browser tests (Playwright + Chromium): fixtures live_server, chromium, new_page, check_page, perf_budget…
pytest_plugins = ["tests.support.browser"]

PG_URL = os.environ.get("COMPTOIR_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

load_models()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set COMPTOIR_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and not PG_URL:
            item.add_marker(skip_pg)


def _admin_engine():  # type: ignore[no-untyped-def]
    assert PG_URL
    url = (
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        if PG_URL.startswith("postgresql://")
        else PG_URL
    )
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _pg_url_for(name: str) -> str:
    assert PG_URL
    base, _, _ = PG_URL.rpartition("/")
    url = f"{base}/{name}"
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


def create_empty_database(backend: str, tmp_dir: Path) -> str:
    """A fresh, empty database URL for ``backend`` (the caller creates the schema)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'comptoir-{uuid.uuid4().hex[:8]}.db'}"
    name = f"comptoir_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin_engine().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return _pg_url_for(name)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    with _admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = create_empty_database(request.param, tmp_path_factory.mktemp(request.param))
    # The schema production runs: the migration chain, hand-written DDL (full-text indexes) included.
    # tests/core/test_migrations.py proves it matches the models.
    upgrade(url, "head")
    db = Database(url, pool_size=5)
    yield db
    db.dispose()
    drop_database(url)


def wipe(db: Database) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if db.is_postgres:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE 1") if _has_sqlite_sequence(
                conn
            ) else None


def _has_sqlite_sequence(conn) -> bool:  # type: ignore[no-untyped-def]
    return bool(conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first())


@pytest.fixture
def db(database: Database) -> Database:
    wipe(database)
    return database


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=db.url,
        secret_key="test-secret-key-0123456789-0123456789",
        dispatcher="off",
        media_dir=tmp_path / "media",
        mail_url=f"file://{tmp_path / 'mail'}",
        log_json=False,
        default_rate_limit_per_minute=100_000,
        api_key_cache_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from comptoir.app import create_app

    return create_app(settings, db=db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def make_key(
    db: Database,
    scopes: list[str],
    channel: str | None = None,
    rate_limit: int | None = None,
    *,
    shop_id: str | None = None,
) -> str:
    """A key of the kind its channel implies: publishable for web/app/live, shop for store:<id>, secret
    otherwise (bound to ``shop_id`` if given)."""
    with UnitOfWork(db) as uow:
        created = create_key(
            uow,
            ApiKeyCreate(
                name="test", scopes=scopes, channel=channel, shop_id=shop_id, rate_limit_per_minute=rate_limit
            ),
        )
        uow.commit()
    return created.token


@pytest.fixture
def admin_headers(db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(db, ['*'])}"}


@pytest.fixture
def dispatcher(app) -> Dispatcher:  # type: ignore[no-untyped-def]
    state = app.state.comptoir
    return Dispatcher(
        state.db,
        state.bus,
        DispatcherConfig(
            batch_size=50, webhook_max_attempts=3, webhook_timeout_seconds=2, backoff_base_seconds=0.01
        ),
    )
