"""Cursor pagination: ids are time-ordered, so the cursor is the last id of the previous page."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from comptoir.core.errors import InvalidInput
from comptoir.core.types import Schema

T = TypeVar("T")

MAX_LIMIT = 200


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: Callable[[str], Any] = str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        if not raw or not raw.isprintable():  # "AAAA" decodes to NULs: no id this API hands out
            raise ValueError("not a cursor")
        return key_type(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "The cursor is not one this API returned.",
            errors=[{"parameter": "cursor", "detail": "invalid cursor"}],
        ) from exc


def keyset_page(
    session: Session,
    stmt: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = False,
    key_type: Callable[[str], Any] = str,
) -> tuple[list[Any], str | None]:
    """Keyset pagination on a unique, ordered column: one page of rows and the cursor after it."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = decode_cursor(cursor, key_type)
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows: Sequence[Any] = session.scalars(stmt).all()
    more = len(rows) > limit
    page = list(rows[:limit])
    next_cursor = encode_cursor(getattr(page[-1], key.key)) if more and page else None
    return page, next_cursor


def paginate(
    session: Session,
    stmt: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    limit: int,
    convert: Callable[[Any], T],
    descending: bool = False,
    key_type: Callable[[str], Any] = str,
) -> Page[T]:
    """Keyset pagination converted to a :class:`Page` of API schemas."""
    rows, next_cursor = keyset_page(
        session, stmt, key, cursor=cursor, limit=limit, descending=descending, key_type=key_type
    )
    return Page[T](items=[convert(r) for r in rows], next_cursor=next_cursor)
