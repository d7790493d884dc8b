"""The migration chain and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from comptoir.core.db import Base, Database, is_unmanaged_table
from comptoir.core.migrate import alembic_config, upgrade
from tests.conftest import create_empty_database, drop_database


def _include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name is not None and is_unmanaged_table(name))


def test_one_linear_chain(database) -> None:  # type: ignore[no-untyped-def]
    script = ScriptDirectory.from_config(alembic_config(database.url))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_migrations_build_exactly_the_models(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    backend = "postgresql" if database.is_postgres else "sqlite"
    url = create_empty_database(backend, tmp_path)
    try:
        upgrade(url, "head")
        migrated = Database(url, pool_size=0)
        with migrated.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _include_name}
            )
            differences = compare_metadata(context, Base.metadata)
        migrated.dispose()
        assert differences == []
    finally:
        drop_database(url)
