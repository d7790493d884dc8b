"""live: what the pages are told, and on which topic of the hub (:mod:`comptoir.core.pubsub`).

An operation returns its notices; the caller publishes them once the transaction that decided them has
committed (a notice about an offer the database never kept would send an advisor after nobody). A notice
lost with a process that died between the commit and the publish costs nothing lasting: every page reads
the state again on its heartbeat.
"""

from __future__ import annotations

from typing import Any

Notice = tuple[str, dict[str, Any]]

ADVISORS = "live.advisors"  # the consoles: the queue changed, someone's presence changed


def advisor(advisor_id: str) -> str:
    """One advisor's console: offers made to them, offers withdrawn."""
    return f"live.advisor.{advisor_id}"


def request(request_id: str) -> str:
    """One waiting customer's page: their place in the queue, the session when it starts."""
    return f"live.request.{request_id}"


def side(advisor_id: str, request_id: str, which: str) -> str:
    """One side of a session — the advisor's console or the customer's page, each already listening on
    its own topic: signalling, pushed products, chat, the end."""
    return advisor(advisor_id) if which == "advisor" else request(request_id)


def other(side: str) -> str:
    return "advisor" if side == "customer" else "customer"
