"""Tables of the single customer record (``customers_*``).

A golden record (:class:`Customer`) is assembled from source records kept verbatim
(:class:`SourceRecord`); each source record is filed under its blocking keys (:class:`MatchKey`) so
a new record finds its candidates with a few index lookups. Merges keep an audit trail sufficient to
undo them. Staff search uses a term index with a typo-tolerant vocabulary (:class:`SearchWord`).
"""

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned
from comptoir.core.models import BigId

CUSTOMER_ID = String(40)


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths (no ORM bookkeeping per row)."""
    return cast(Table, model.__table__)


class Customer(Versioned, Provenance, Base):
    """The golden record: each identity field survives from one source record (``lineage``)."""

    __tablename__ = "customers_customers"

    id: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | merged | erased
    merged_into: Mapped[str | None] = mapped_column(CUSTOMER_ID, index=True)
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)  # whose birthday it is (birthdays.py)
    street: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    loyalty_card: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> source record id
    quality_flags: Mapped[list[Any]] = mapped_column(default=list)
    erased_at: Mapped[datetime | None]


class SourceRecord(Provenance, Base):
    """One record as a touchpoint sent it (``raw``), its normalised identity fields and quality flags."""

    __tablename__ = "customers_source_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | superseded
    received_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]]
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[str | None] = mapped_column(String(10))  # ISO, as the matcher compares it
    street: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    loyalty_card: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    match_decision: Mapped[str] = mapped_column(
        String(24)
    )  # new | matched | same-source-record | attached | bulk
    match_score: Mapped[float | None] = mapped_column(Float)
    matched_record_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_customers_source_records_source_ref", "source", "source_ref"),)


class MatchKey(Base):
    """A blocking key of an active source record: records sharing a key are compared."""

    __tablename__ = "customers_match_keys"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    record_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers_source_records.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_customers_match_keys_record_id", "record_id"),)


class Identifier(Base):
    """An external identifier of a customer (loyalty card, receipt number, …): one owner each."""

    __tablename__ = "customers_identifiers"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    added_at: Mapped[datetime]
    added_channel: Mapped[str | None] = mapped_column(String(64))


class Segment(Base):
    __tablename__ = "customers_segments"

    customer_id: Mapped[str] = mapped_column(
        CUSTOMER_ID, ForeignKey("customers_customers.id"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    added_at: Mapped[datetime]


class ConsentStatement(Base):
    """One statement of consent or refusal; for each purpose and channel the latest one wins."""

    __tablename__ = "customers_consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    stated_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))
    proof: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_channel: Mapped[str | None] = mapped_column(String(64))
    recorded_by_key: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_customers_consents_latest", "customer_id", "purpose", "channel", "stated_at"),
    )


class Merge(Base):
    """The audit trail of one merge: what moved from which customer, so it can be undone exactly."""

    __tablename__ = "customers_merges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    survivor_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    merged_ids: Mapped[list[Any]]
    moved: Mapped[dict[str, Any]]  # merged id -> {"records": [...], "identifiers": [...], ...}
    reason: Mapped[str] = mapped_column(String(16))  # ingest | staff | review | bulk
    score: Mapped[float | None] = mapped_column(Float)
    record_id: Mapped[str | None] = mapped_column(String(40))  # the record whose ingest caused it
    merged_at: Mapped[datetime]
    merged_channel: Mapped[str | None] = mapped_column(String(64))
    merged_by_key: Mapped[str | None] = mapped_column(String(40))
    undone_at: Mapped[datetime | None]
    undone_by_key: Mapped[str | None] = mapped_column(String(40))


class Review(Base):
    """A pair of customers that may be one person, for staff to accept (merge) or reject."""

    __tablename__ = "customers_reviews"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_a: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    customer_b: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    record_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | accepted | rejected | obsolete
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_key: Mapped[str | None] = mapped_column(String(40))
    merge_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_customers_reviews_status", "status", "created_at"),)


class DistinctPair(Base):
    """Two customers staff said are different people (a rejected review, an undone merge)."""

    __tablename__ = "customers_distinct_pairs"

    customer_a: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    customer_b: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    decided_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16))  # rejected | unmerged


class Account(Base):
    """A customer's sign-in on the website and app: e-mail, argon2 password hash (attempts are
    throttled by :class:`SignInThrottle`, per address whether or not an account uses it)."""

    __tablename__ = "customers_accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sign_in_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_channel: Mapped[str | None] = mapped_column(String(64))
    blocked_at: Mapped[datetime | None]  # staff blocked it: no sign-in, every session ended


class SessionGeneration(Base):
    """Customer tokens carry the generation current when they were issued; ending every session of
    a customer (sign-out everywhere, password reset, erasure, staff block) moves it on. No row means
    generation 0: the check on each request is one primary-key read."""

    __tablename__ = "customers_session_generations"

    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime]


class SignInThrottle(Base):
    """Sign-in attempts counted per key (``email:`` or ``client:`` and a keyed hash, so no address is
    stored in clear): an attempt takes a slot before its password is checked, in one guarded update."""

    __tablename__ = "customers_sign_in_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OneTimeToken(Base):
    """A sign-in link or password reset: only the SHA-256 of the token is kept; used once."""

    __tablename__ = "customers_one_time_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # sign-in | reset
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("customers_accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SearchTerm(Base):
    """What staff search finds a customer by: ``w:`` name words, ``f:`` their sound, ``e:`` e-mails,
    ``p:`` phones, ``i:`` identifiers (loyalty cards, receipt numbers)."""

    __tablename__ = "customers_search_terms"

    term: Mapped[str] = mapped_column(String(400), primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)

    __table_args__ = (Index("ix_customers_search_terms_customer_id", "customer_id"),)


class SearchWord(Base):
    """Typo tolerance: each name word under each of its one-letter deletions (SymSpell), so a query
    word finds the known words within about two edits with plain index lookups."""

    __tablename__ = "customers_search_words"

    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    word: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (UniqueConstraint("word", "variant"),)


class MatchModelRow(Base):
    """A version of the identity resolution model (Fellegi–Sunter m, u, prior and name frequencies),
    learned in batch; the newest active one weighs every match at ingest."""

    __tablename__ = "customers_match_models"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learned_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16))  # dedupe | initial-load | retrain
    records: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Note(Base):
    """A staff note on a customer (what a seller should know next time): personal data, erased with them."""

    __tablename__ = "customers_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, ForeignKey("customers_customers.id"))
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_customers_notes_customer", "customer_id", "created_at"),)
