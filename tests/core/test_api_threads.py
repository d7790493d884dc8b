"""The thread pool serving an API process's synchronous routes: few threads on SQLite (reads are the
process's own work: more threads only take turns on Python's lock), the framework's 40 on PostgreSQL,
or what ``COMPTOIR_API_THREADS`` says."""

from __future__ import annotations

import anyio
import anyio.to_thread

from comptoir.app import POSTGRESQL_API_THREADS, SQLITE_API_THREADS, api_threads, create_app
from comptoir.core.db import Database
from comptoir.core.settings import Settings


def test_the_default_follows_the_database() -> None:
    assert api_threads(Settings(database_url="sqlite:///var/x.db")) == SQLITE_API_THREADS == 4
    postgres = Settings(database_url="postgresql+psycopg://u@127.0.0.1/x")
    assert api_threads(postgres) == POSTGRESQL_API_THREADS == 40
    assert api_threads(Settings(database_url="sqlite:///var/x.db", api_threads=12)) == 12


def test_the_api_process_serves_with_the_configured_threads(settings: Settings, db: Database) -> None:
    app = create_app(settings.model_copy(update={"api_threads": 3}), db=db)

    async def serving() -> float:
        async with app.router.lifespan_context(app):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(serving) == 3
