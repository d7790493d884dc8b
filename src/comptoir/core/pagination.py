"""Cursor pagination: ids are time-ordered, so the cursor is the last id of the previous page."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from comptoir.core.errors import InvalidInput

T = TypeVar("T")
Row = TypeVar("Row")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


def encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not one this API returned.", field="cursor", errors=[
            {"parameter": "cursor", "detail": "invalid cursor"}
        ]) from exc


def paginate(
    session: Session,
    stmt: Select[tuple[Row]],
    key: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    limit: int,
    convert: Callable[[Row], T],
    descending: bool = False,
    key_type: Callable[[str], Any] = str,
) -> Page[T]:
    """Keyset pagination on a unique, ordered column (an id or sequence number)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = key_type(decode_cursor(cursor))
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows: Sequence[Row] = session.scalars(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], key.key)) if more and rows else None
    return Page[T](items=[convert(r) for r in rows], next_cursor=next_cursor)
