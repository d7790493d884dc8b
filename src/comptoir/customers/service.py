"""The customers domain's public interface: what other domains may call (with its schemas and events).

Every function takes a unit of work, never commits, and returns schemas from
:mod:`comptoir.customers.schemas`. Ids merged away are accepted everywhere and resolve to the
surviving customer; other domains also learn of merges from ``customers.customers_merged``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, ingestion, normalisation, profiles, sessions
from comptoir.customers import search as search_index
from comptoir.customers.policies import CONSENT_CHANNELS, IMPORT_SOURCES, PURPOSES, SOURCES
from comptoir.customers.schemas import (
    ConsentIn,
    ConsentsOut,
    ConsentStatementOut,
    CustomerOut,
    CustomerRecord,
    CustomerView,
    IdentifierOut,
    IngestResult,
    SearchHit,
)

__all__ = [
    "CONSENT_CHANNELS",
    "IMPORT_SOURCES",
    "PURPOSES",
    "SOURCES",
    "add_identifier",
    "consents_of",
    "get_customer",
    "ingest",
    "may_contact",
    "record_consents",
    "resolve_id",
    "search",
    "segments_of",
    "phone_display",
    "session_check",
    "view_360",
    "session_valid",
    "set_segments",
]


def get_customer(uow: UnitOfWork, customer_id: str) -> CustomerOut:
    """The golden record (with segments); an id merged away gives the survivor's. 404 if unknown."""
    return profiles.get_customer(uow, customer_id)


def resolve_id(uow: UnitOfWork, customer_id: str) -> str:
    """The surviving id of ``customer_id``: itself unless it was merged into another customer."""
    return profiles.resolve_id(uow, customer_id)


def segments_of(uow: UnitOfWork, customer_id: str) -> list[str]:
    """The customer's segments (``vip``, ``staff``, ``pro``…), which pricing targets."""
    return profiles.get_customer(uow, customer_id).segments


def set_segments(uow: UnitOfWork, customer_id: str, segments: list[str]) -> CustomerOut:
    return profiles.set_segments(uow, customer_id, segments)


def may_contact(
    uow: UnitOfWork, customer_id: str, purpose: str, channel: str, at: datetime | None = None
) -> bool:
    """May we contact the customer for ``purpose`` (marketing, e-receipt, …) on ``channel`` (email, sms,
    push, post, phone) at ``at``? The latest statement wins; no statement means no."""
    return consents.may_contact(uow, customer_id, purpose, channel, at)


def record_consents(
    uow: UnitOfWork, customer_id: str, statements: list[ConsentIn], source: str
) -> list[ConsentStatementOut]:
    customer = profiles.active_customer(uow, customer_id)
    return consents.record(uow, customer.id, statements, source)


def consents_of(uow: UnitOfWork, customer_id: str) -> ConsentsOut:
    return consents.consents_of(uow, profiles.active_customer(uow, customer_id).id)


def ingest(uow: UnitOfWork, source: str, record: CustomerRecord) -> IngestResult:
    """Keep a record from a touchpoint (``pos``, ``web``, ``app``, ``call-centre``, ``eticket``), match
    it at once and return the golden customer it belongs to (created if nobody matched). Orders'
    e-receipt, for instance, finds or creates the customer by the e-mail typed at the till."""
    return ingestion.ingest(uow, source, record)


def add_identifier(uow: UnitOfWork, customer_id: str, kind: str, value: str) -> IdentifierOut:
    """File an external identifier (``receipt``, ``loyalty-card``…) so staff search finds the customer by it."""
    return profiles.add_identifier(uow, customer_id, kind, value)


def search(uow: UnitOfWork, query: str, limit: int = 20) -> list[SearchHit]:
    """Staff search by name (typos forgiven), e-mail, phone, loyalty card or receipt number."""
    return search_index.search(uow, query, limit=limit)


def session_valid(db: Database, customer_id: str, generation: int) -> bool:
    """Is a customer token of ``customer_id`` carrying session generation ``generation`` (its ``g``
    claim, 0 when absent) still good? One primary-key read, no cache: sign-out everywhere, a password
    reset, an erasure or a staff block end every earlier token at once."""
    return sessions.session_valid(db, customer_id, generation)


def session_check(db: Database, claims: Mapping[str, Any]) -> bool:
    """:func:`session_valid` for a verified token's claims (``sub``, and ``g``: 0 when absent)."""
    return sessions.session_valid(db, str(claims["sub"]), int(claims.get("g", 0)))


def view_360(uow: UnitOfWork, customer_id: str, sections: Mapping[str, Any]) -> CustomerView:
    """The 360° view: the golden record and each domain's section (``sections``: the app's
    ``AppState.customer_sections``); a section that fails is reported as ``{"error": …}``. 404 if erased."""
    return profiles.view_360(uow, customer_id, sections)


def phone_display(e164: str | None) -> str:
    """A stored phone number as people read it: national form for French numbers, international otherwise."""
    return normalisation.phone_display(e164)
