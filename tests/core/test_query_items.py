"""The hot routes' query parsing answers exactly what ``parse_qsl`` answers."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from comptoir.core.api import query_items

QUERY = st.text(alphabet="ab=&%+2F.-_é", max_size=40)


@given(QUERY)
def test_query_items_is_parse_qsl_keeping_blank_values(text: str) -> None:
    raw = text.encode("latin-1")
    assert query_items(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def test_a_plain_query() -> None:
    assert query_items(b"sku=A-1&lat=48.85&kind=store&kind=warehouse&flag") == [
        ("sku", "A-1"),
        ("lat", "48.85"),
        ("kind", "store"),
        ("kind", "warehouse"),
        ("flag", ""),
    ]
