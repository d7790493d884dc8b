"""``core.statements``: a statement compiled once per driver, its parameters laid out as that driver
takes them (positional for SQLite and asyncpg, named for psycopg), literal values filled in."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg

from comptoir.core.statements import Statements

T = Table("t", MetaData(), Column("sku", String), Column("qty", Integer), Column("status", String))
STATEMENT = select(T.c.sku).where(
    T.c.qty >= bindparam("qty"), T.c.sku == bindparam("sku"), T.c.status != "closed"
)


def test_sqlite_takes_positional_arguments_in_the_statements_order() -> None:
    sql, arguments = Statements(sqlite.dialect()).prepare(STATEMENT, {"sku": "A", "qty": 2})
    assert sql.count("?") == 3
    assert arguments == [2, "A", "closed"]


def test_asyncpg_takes_numbered_arguments() -> None:
    sql, arguments = Statements(asyncpg.dialect()).prepare(STATEMENT, {"sku": "A", "qty": 2})  # type: ignore[no-untyped-call]
    assert "$1" in sql and "$3" in sql
    assert arguments == [2, "A", "closed"]


def test_psycopg_takes_named_arguments() -> None:
    sql, arguments = Statements(postgresql.psycopg.dialect()).prepare(STATEMENT, {"sku": "A", "qty": 2})  # type: ignore[no-untyped-call]
    assert "%(sku)s" in sql
    assert arguments == {"sku": "A", "qty": 2, "status_1": "closed"}


def test_sql_text_with_named_parameters_and_one_compilation_per_statement() -> None:
    statements = Statements(asyncpg.dialect())  # type: ignore[no-untyped-call]
    first = statements.prepare("SELECT :a + :b", {"a": 1, "b": 2})
    second = statements.prepare("SELECT :a + :b", {"a": 3, "b": 4})
    assert first == ("SELECT $1 + $2", [1, 2]) and second == ("SELECT $1 + $2", [3, 4])
    assert len(statements.compiled) == 1


def test_a_missing_parameter_is_refused_before_the_driver_sees_it() -> None:
    with pytest.raises(KeyError):
        Statements(sqlite.dialect()).prepare(STATEMENT, {"sku": "A"})


def test_raw_times_and_json_read_alike_from_every_driver() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from comptoir.core.statements import json_value, utc_value

    moment = datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=UTC)
    assert utc_value("2026-03-29 01:30:00.250000") == moment  # SQLite's text, naive UTC
    assert utc_value(moment.astimezone(timezone(timedelta(hours=2)))) == moment  # psycopg, asyncpg
    assert utc_value(None) is None
    with pytest.raises(TypeError):
        utc_value(12)
    assert json_value('["st_lyon"]') == json_value(b'["st_lyon"]') == json_value(["st_lyon"]) == ["st_lyon"]
    assert json_value(None) is None
