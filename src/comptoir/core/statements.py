"""Statements compiled once per driver for the hot read paths (:meth:`Database.read_rows` and
:meth:`Database.read_rows_async`): the SQL text and the parameters laid out as that driver takes them.

Compiling a Core ``select`` costs more than running it on a cached connection, so each statement is
compiled the first time a reader meets it and kept (a few dozen statements in all; the cache is bounded
all the same). Parameters are named as in the statement (``bindparam("sku")``, ``:sku`` in a
``text()``); literal values the statement holds (``status != "closed"``) are filled in from the compiled
form. Values go to the driver as given: no type's bind processing runs on this path, and rows come
back as the driver makes them. Two kinds of column differ between the drivers: a time (SQLite's text,
an aware ``datetime`` from psycopg and asyncpg) and JSON (text from SQLite and asyncpg, parsed by
psycopg); :func:`utc_value` and :func:`json_value` read either form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from comptoir.core.cache import BoundedDict

Statement = ClauseElement | str
"""A Core statement, or SQL text with ``:name`` parameters."""


class _Compiled:
    __slots__ = ("defaults", "order", "sql")

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        element = text(statement) if isinstance(statement, str) else statement
        compiled = element.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)  # a statement's, not DDL's
        self.sql = str(compiled)
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self.order = list(compiled.positiontup or ()) if compiled.positional else None

    def arguments(self, params: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        merged = {**self.defaults, **params} if self.defaults else dict(params)
        if self.order is None:
            return merged
        return [merged[name] for name in self.order]


class Statements:
    """The statements one driver has run, compiled for its dialect."""

    def __init__(self, dialect: Dialect, max_entries: int = 512) -> None:
        self.dialect = dialect
        self.compiled: BoundedDict[Statement, _Compiled] = BoundedDict(max_entries)

    def prepare(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> tuple[str, list[Any] | dict[str, Any]]:
        """The SQL to send and its arguments: a list for a positional driver, else a dict."""
        found = self.compiled.get(statement)
        if found is None:
            found = self.compiled.put(statement, _Compiled(statement, self.dialect))
        return found.sql, found.arguments(params or {})


def utc_value(raw: Any) -> datetime | None:
    """A ``UTCDateTime`` column's value as read raw: SQLite's text (naive UTC) or a driver's datetime."""
    if raw is None:
        return None
    found = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if not isinstance(found, datetime):
        raise TypeError(f"not a time: {raw!r}")
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def json_value(raw: Any) -> Any:
    """A JSON column's array or object as read raw: the text (SQLite, asyncpg) or what psycopg parsed."""
    return json.loads(raw) if isinstance(raw, str | bytes) else raw
