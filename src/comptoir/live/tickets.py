"""live: the customer's session ticket — a signed, expiring token naming their talk-now request.

An anonymous visitor has no account to sign in with: the ticket, handed to their page when they ask to
talk, is what their WebSocket and session calls present. It names the request (and the customer, when one
was signed in), expires after ``ticket_hours``, and is good for this purpose only.
"""

from __future__ import annotations

from typing import Any

from comptoir.core import tokens
from comptoir.core.errors import Unauthorized

PURPOSE = "live-ticket"
HEADER = "X-Live-Ticket"


def issue(secret: str, request_id: str, customer_id: str | None, hours: int) -> str:
    claims: dict[str, Any] = {"req": request_id}
    if customer_id:
        claims["sub"] = customer_id
    return tokens.sign(secret, PURPOSE, claims, hours * 3600)


def read(secret: str, ticket: str | None) -> dict[str, Any]:
    """The ticket's claims; 401 when it is missing, forged or expired."""
    claims = tokens.verify(secret, PURPOSE, ticket) if ticket else None
    if claims is None or "req" not in claims:
        raise Unauthorized("The live ticket is missing, invalid or has expired: ask again to talk.")
    return claims
