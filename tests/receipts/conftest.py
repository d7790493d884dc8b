"""The order tests' small retailer, a till at Rivoli, and readers for the e-mails written to files."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from comptoir.core.db import Database
from comptoir.core.settings import Settings
from tests.conftest import make_key
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    ALL_STAFF,
    CARD,
    RIVOLI,
    checkout,
    headers,
    marie,
    new_cart,
    rivoli,
    shop,
    stocked,
)


@pytest.fixture
def till(db: Database) -> dict[str, str]:
    """The till at Rivoli: sells and issues receipts."""
    return headers(make_key(db, [*ALL_STAFF, "receipts:write"], channel=f"store:{RIVOLI}"))


def sell(client: Any, till: dict[str, str], lines: list[tuple[str, int]], **body: Any) -> dict[str, Any]:
    cart = new_cart(client, till, lines)
    response = checkout(client, till, cart, mode="store_sale", tenders=[CARD], **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def mails(settings: Settings) -> list[EmailMessage]:
    directory = Path(settings.mail_url[len("file://") :])
    if not directory.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=default)  # type: ignore[misc]
        for p in sorted(directory.glob("*.eml"))
    ]


def parts(message: EmailMessage) -> tuple[str, str, list[tuple[str, bytes]]]:
    """(text, html, [(attachment name, bytes)]) of a message; the HTML's character references read as the
    characters they stand for (the e-mail's serialiser writes a no-break space ``&nbsp;``)."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = [(a.get_filename() or "", a.get_content()) for a in message.iter_attachments()]
    return (
        text.get_content() if text else "",
        unescape(html.get_content()) if html else "",
        attachments,
    )


def check_pdf(data: bytes) -> int:
    """The PDF's structure holds (header, cross-reference table where startxref says, trailer); returns
    its page count."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    start = int(data[data.rindex(b"startxref") + len(b"startxref") :].split()[0])
    assert data[start : start + 4] == b"xref"
    entries = int(data[start:].split(b"\n")[1].split()[1])
    assert entries > 3
    return data.count(b"/Type /Page\n") + data.count(b"/Type /Page ")
