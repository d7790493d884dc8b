"""The customers domain's public interface: what other domains may call (with its schemas and events).

Every function takes a unit of work, never commits, and returns schemas from
:mod:`comptoir.customers.schemas`. Ids merged away are accepted everywhere and resolve to the
surviving customer; other domains also learn of merges from ``customers.customers_merged``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from comptoir.core.api import CustomerSection
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import accounts, consents, gdpr, ingestion, normalisation, notes, profiles, sessions
from comptoir.customers import search as search_index
from comptoir.customers.accounts import SignInOutcome
from comptoir.customers.audience import Member, audience_page
from comptoir.customers.birthdays import celebrating
from comptoir.customers.policies import CONSENT_CHANNELS, IMPORT_SOURCES, PURPOSES, SOURCES
from comptoir.customers.schemas import (
    ConsentIn,
    ConsentsOut,
    ConsentStatementOut,
    CustomerOut,
    CustomerPatch,
    CustomerRecord,
    CustomerView,
    ErasureOut,
    ExportOut,
    IdentifierOut,
    IngestResult,
    LinkRequestIn,
    LinkSignInIn,
    NoteOut,
    PasswordResetConfirmIn,
    SearchHit,
    SessionOut,
    SignInIn,
    SignUpIn,
)
from comptoir.customers.sessions import Claim

__all__ = [
    "CONSENT_CHANNELS",
    "IMPORT_SOURCES",
    "PURPOSES",
    "SOURCES",
    "Member",
    "SignInOutcome",
    "add_identifier",
    "add_note",
    "audience_page",
    "celebrating",
    "claim_sign_in_attempt",
    "consents_of",
    "contactable",
    "erase",
    "export",
    "get_customer",
    "get_customers",
    "ingest",
    "may_contact",
    "notes_of",
    "phone_display",
    "record_consents",
    "rectify",
    "request_password_reset",
    "request_sign_in_link",
    "reset_password",
    "resolve_id",
    "search",
    "segments_of",
    "session_check",
    "session_valid",
    "set_segments",
    "sign_in",
    "sign_in_locked_out",
    "sign_in_with_link",
    "sign_out_everywhere",
    "sign_up",
    "view_360",
]


def get_customer(uow: UnitOfWork, customer_id: str) -> CustomerOut:
    """The golden record (with segments); an id merged away gives the survivor's. 404 if unknown."""
    return profiles.get_customer(uow, customer_id)


def get_customers(uow: UnitOfWork, customer_ids: Iterable[str]) -> dict[str, CustomerOut]:
    """:func:`get_customer` of many ids in a few queries, by the id asked for (unknown ids left out)."""
    return profiles.get_customers(uow, customer_ids)


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


def contactable(
    uow: UnitOfWork, customer_ids: Iterable[str], purpose: str, channel: str, at: datetime | None = None
) -> set[str]:
    """Those of ``customer_ids`` (active, surviving ids: :func:`get_customers`'s) that
    :func:`may_contact` allows for ``purpose`` on ``channel``, in one query."""
    return consents.contactable(uow, customer_ids, purpose, channel, at)


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


def add_note(uow: UnitOfWork, customer_id: str, body: str, actor: Actor) -> NoteOut:
    """A staff note on the customer (1 to 2000 characters), signed by the employee acting; 422 if empty or long."""
    return notes.add_note(uow, customer_id, body, actor)


def notes_of(uow: UnitOfWork, customer_id: str, limit: int | None = 20) -> list[NoteOut]:
    """The customer's staff notes, newest first (``None``: all)."""
    return notes.notes_of(uow, customer_id, limit)


def search(uow: UnitOfWork, query: str, limit: int = 20) -> list[SearchHit]:
    """Staff search by name (typos forgiven), e-mail, phone, loyalty card or receipt number."""
    return search_index.search(uow, query, limit=limit)


async def session_valid(db: Database, customer_id: str, generation: int) -> bool:
    """Is a customer token of ``customer_id`` carrying session generation ``generation`` (its ``g``
    claim, 0 when absent) still good? One primary-key read, no cache: sign-out everywhere, a password
    reset, an erasure or a staff block end every earlier token at once."""
    return await sessions.session_valid(db, customer_id, generation)


async def session_check(db: Database, claims: Mapping[str, Any]) -> bool:
    """:func:`session_valid` for a verified token's claims (``sub``, and ``g``: 0 when absent)."""
    return await sessions.session_valid(db, str(claims["sub"]), int(claims.get("g", 0)))


def view_360(uow: UnitOfWork, customer_id: str, sections: Mapping[str, Any]) -> CustomerView:
    """The 360° view: the golden record and each domain's section (``sections``: the app's
    ``AppState.customer_sections``); a section that fails is reported as ``{"error": …}``. 404 if erased."""
    return profiles.view_360(uow, customer_id, sections)


def phone_display(e164: str | None) -> str:
    """A stored phone number as people read it: national form for French numbers, international otherwise."""
    return normalisation.phone_display(e164)


# -- customer accounts, for the apps' pages (the same operations as the API's account routes) ----------------


def sign_up(uow: UnitOfWork, body: SignUpIn, settings: Settings) -> str:
    """Create an unverified account and e-mail the link proving the address (see :func:`accounts.sign_up`):
    the answer is the same whether or not the address already has an account."""
    return accounts.sign_up(uow, body, settings)


def claim_sign_in_attempt(uow: UnitOfWork, body: SignInIn, settings: Settings, client: str) -> Claim:
    """Take the attempt's throttling slots; commit, then :func:`sign_in` (or answer ``locked_out``)."""
    return accounts.claim_attempt(uow, body, settings, client)


def sign_in_locked_out(claim: Claim) -> Problem:
    return accounts.locked_out(claim)


def sign_in(uow: UnitOfWork, body: SignInIn, settings: Settings, client: str) -> SignInOutcome:
    """Check the password of an attempt whose slots were taken; every failure answers alike."""
    return accounts.sign_in(uow, body, settings, client)


def request_sign_in_link(uow: UnitOfWork, body: LinkRequestIn, settings: Settings) -> None:
    accounts.request_sign_in_link(uow, body, settings)


def sign_in_with_link(uow: UnitOfWork, body: LinkSignInIn, settings: Settings) -> SessionOut:
    """Sign in with an e-mailed link: a sign-in link, or the link that finishes a sign-up."""
    return accounts.sign_in_with_link(uow, body, settings)


def request_password_reset(uow: UnitOfWork, body: LinkRequestIn, settings: Settings) -> None:
    accounts.request_password_reset(uow, body, settings)


def reset_password(uow: UnitOfWork, body: PasswordResetConfirmIn, settings: Settings) -> SessionOut:
    """A new password ends every earlier session, then signs in afresh."""
    return accounts.reset_password(uow, body, settings)


def sign_out_everywhere(uow: UnitOfWork, customer_id: str) -> None:
    accounts.sign_out_everywhere(uow, profiles.resolve_id(uow, customer_id))


def rectify(
    uow: UnitOfWork, customer_id: str, body: CustomerPatch, expected_version: int | None
) -> CustomerOut:
    """GDPR rectification of the golden record (only the fields given change)."""
    return profiles.rectify(uow, customer_id, body, expected_version)


def export(uow: UnitOfWork, customer_id: str, sections: Mapping[str, CustomerSection]) -> ExportOut:
    """Everything held on the person (GDPR article 15), with each domain's section, in one document."""
    return gdpr.export(uow, customer_id, sections)


def erase(uow: UnitOfWork, customer_id: str, settings: Settings) -> ErasureOut:
    """Erase the person (GDPR article 17): anonymised here; ``customers.customer_erased`` tells the rest."""
    return gdpr.erase(uow, customer_id, settings)
