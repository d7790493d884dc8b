"""What the customers domain accepts and returns (API bodies and the types service.py gives other domains)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from comptoir.core.types import AwareDatetime, BoundedDate, Schema
from comptoir.customers.policies import (
    CONSENT_CHANNELS,
    IMPORT_SOURCES,
    MAX_NOTE_LENGTH,
    PURPOSES,
    SOURCES,
    clean_segments,
)

Source = Literal["pos", "web", "app", "call-centre", "eticket", "account", "staff", "rectification"]
ImportSource = Literal["pos", "web", "app", "call-centre", "eticket"]
Purpose = Literal["marketing", "profiling", "e-receipt", "partners", "satisfaction-surveys"]
ConsentChannel = Literal["email", "sms", "push", "post", "phone"]
Field1000 = Annotated[str | None, StringConstraints(max_length=1000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]

assert set(SOURCES) == set(Source.__args__)  # type: ignore[attr-defined]
assert set(IMPORT_SOURCES) == set(ImportSource.__args__)  # type: ignore[attr-defined]
assert set(PURPOSES) == set(Purpose.__args__)  # type: ignore[attr-defined]
assert set(CONSENT_CHANNELS) == set(ConsentChannel.__args__)  # type: ignore[attr-defined]


# -- consent -------------------------------------------------------------------------------------------


class ConsentIn(Schema):
    purpose: Purpose
    channel: ConsentChannel
    granted: bool
    stated_at: AwareDatetime | None = Field(
        default=None, description="When the person said it (default: now)"
    )
    proof: dict[str, Any] = Field(
        default_factory=dict, description='How it was collected, e.g. {"form": "checkout-v3", "ip": "…"}'
    )

    @field_validator("stated_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2025-03-01T10:00:00+01:00)")
        return value


class ConsentStatementOut(Schema):
    purpose: str
    channel: str
    granted: bool
    stated_at: datetime
    recorded_at: datetime
    source: str
    proof: dict[str, Any]


class ConsentsOut(Schema):
    customer_id: str
    current: list[ConsentStatementOut] = Field(description="The statement in force per purpose and channel")
    history: list[ConsentStatementOut]


class ContactPermission(Schema):
    customer_id: str
    purpose: str
    channel: str
    allowed: bool


# -- source records and ingestion -------------------------------------------------------------------------


class CustomerRecord(Schema):
    """A person as a touchpoint holds them. Dirty data is accepted and flagged; other fields are kept."""

    model_config = ConfigDict(extra="allow")

    source_ref: Annotated[str | None, StringConstraints(max_length=200)] = Field(
        default=None, description="The record's id in its source system (a re-sent record replaces it)"
    )
    received_at: AwareDatetime | None = None
    given_name: Field1000 = None
    family_name: Field1000 = None
    email: Field1000 = None
    phone: Field1000 = None
    birth_date: Field1000 = Field(default=None, description="31/12/1980, 1980-12-31, 31121980, …")
    street: Field1000 = None
    postcode: Field1000 = None
    city: Field1000 = None
    country: Field1000 = None
    loyalty_card: Field1000 = None
    locale: Annotated[str | None, StringConstraints(max_length=16)] = None
    consents: list[ConsentIn] = Field(default_factory=list, max_length=50)

    @field_validator("birth_date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        return value.isoformat() if isinstance(value, date) else value

    def person_fields(self) -> dict[str, str | None]:
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.email,
            "phone": self.phone,
            "birth_date": self.birth_date,
            "street": self.street,
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
            "loyalty_card": self.loyalty_card,
        }


class IngestIn(CustomerRecord):
    source: ImportSource


class IngestBatchIn(Schema):
    source: ImportSource
    records: list[CustomerRecord] = Field(min_length=1, max_length=1000)


class IngestResult(Schema):
    record_id: str
    customer_id: str = Field(description="The golden customer the record now belongs to")
    decision: Literal["new", "matched", "same-source-record"]
    created: bool = Field(description="A new golden customer was created")
    score: float | None = Field(description="Score of the best candidate (null without candidates)")
    matched_record_id: str | None
    merged_ids: list[str] = Field(description="Customers merged into this one because the record joined them")
    review_ids: list[str] = Field(description="Possible duplicates queued for staff")
    flags: list[str] = Field(description="Quality problems found in the record")


class BatchRowResult(Schema):
    index: int
    result: IngestResult | None = None
    error: str | None = None


class IngestBatchOut(Schema):
    results: list[BatchRowResult]


# -- golden record ------------------------------------------------------------------------------------


class Address(Schema):
    street: str | None
    postcode: str | None
    city: str | None
    country: str | None


class CustomerOut(Schema):
    """The golden record: what every touchpoint shows of the customer."""

    id: str
    status: Literal["active", "erased"]
    given_name: str | None
    family_name: str | None
    display_name: str
    email: str | None
    phone: str | None
    birth_date: date | None
    address: Address | None
    loyalty_card: str | None
    segments: list[str]
    locale: str | None
    quality_flags: list[str]
    lineage: dict[str, str] = Field(description="Field -> id of the source record it survived from")
    merged_ids: list[str] = Field(description="Customers merged into this one (ids that resolve to it)")
    created_at: datetime
    updated_at: datetime
    version: int


class CustomerSummary(Schema):
    id: str
    display_name: str
    email: str | None
    phone: str | None
    postcode: str | None
    city: str | None
    birth_date: date | None
    loyalty_card: str | None
    segments: list[str]


class AddressIn(Schema):
    street: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    city: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country: Annotated[str, StringConstraints(min_length=2, max_length=60)] = "FR"


class CustomerCreate(Schema):
    """Direct creation (a seller on the tablet, the call centre): invalid input is refused, not flagged."""

    given_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    family_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str | None, StringConstraints(max_length=320)] = None
    phone: Annotated[str | None, StringConstraints(max_length=40)] = None
    birth_date: BoundedDate | None = None
    address: AddressIn | None = None
    loyalty_card: Annotated[str | None, StringConstraints(max_length=64)] = None
    locale: Literal["fr", "en"] | None = None
    consents: list[ConsentIn] = Field(default_factory=list, max_length=50)


class CustomerPatch(Schema):
    """Rectification (GDPR article 16): only the fields given change, as a staff-verified record."""

    given_name: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = None
    family_name: Annotated[str | None, StringConstraints(min_length=1, max_length=200)] = None
    email: Annotated[str | None, StringConstraints(max_length=320)] = None
    phone: Annotated[str | None, StringConstraints(max_length=40)] = None
    birth_date: BoundedDate | None = None
    address: AddressIn | None = None
    locale: Literal["fr", "en"] | None = None


class SegmentsIn(Schema):
    segments: list[str] = Field(max_length=50, description="e.g. vip, staff, pro")

    @field_validator("segments")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return clean_segments(value)


class IdentifierIn(Schema):
    kind: Slug = Field(description="e.g. receipt, loyalty-card, pos-customer")
    value: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class IdentifierOut(Schema):
    kind: str
    value: str
    customer_id: str
    added_at: datetime


class NoteIn(Schema):
    body: str = Field(
        min_length=1, max_length=MAX_NOTE_LENGTH, description="What the next seller should know"
    )


class NoteOut(Schema):
    id: int
    customer_id: str
    author_id: str | None = Field(description="The employee (or key) who wrote it")
    author_name: str | None = Field(description="The employee's name when written")
    body: str
    created_at: datetime


class SourceRecordOut(Schema):
    id: str
    customer_id: str
    source: str
    source_ref: str | None
    status: str
    received_at: datetime
    channel: str | None
    raw: dict[str, Any]
    normalised: dict[str, str | None]
    flags: list[str]
    email_verified: bool
    match_decision: str
    match_score: float | None


# -- merges and reviews --------------------------------------------------------------------------------


class MergeIn(Schema):
    survivor_id: str
    merged_ids: list[str] = Field(min_length=1, max_length=20)


class MergeOut(Schema):
    id: str
    survivor_id: str
    merged_ids: list[str]
    reason: str
    score: float | None
    record_id: str | None
    moved_records: dict[str, list[str]] = Field(description="Merged id -> its source records moved")
    merged_at: datetime
    merged_channel: str | None
    undone_at: datetime | None


class ReviewOut(Schema):
    id: str
    customer_a: CustomerSummary
    customer_b: CustomerSummary
    score: float
    status: str
    created_at: datetime
    decided_at: datetime | None
    merge_id: str | None


# -- search, 360°, export --------------------------------------------------------------------------------


class SearchHit(Schema):
    customer: CustomerSummary
    score: float = Field(description="0–100, higher is closer")
    matched_on: list[str] = Field(description="name, email, phone, loyalty-card, identifier")


class CustomerView(Schema):
    """The 360° view: the golden record and each domain's section (``{"error": …}`` if one failed)."""

    customer: CustomerOut
    sections: dict[str, dict[str, Any]]


class AccountOut(Schema):
    id: str
    email: str
    email_verified: bool
    created_at: datetime
    last_sign_in_at: datetime | None


class ExportOut(Schema):
    """Everything held on a person (GDPR article 15), in one document."""

    exported_at: datetime
    customer: CustomerOut
    source_records: list[SourceRecordOut]
    consents: list[ConsentStatementOut]
    identifiers: list[IdentifierOut]
    merges: list[MergeOut]
    accounts: list[AccountOut]
    notes: list[NoteOut] = Field(default_factory=list, description="Staff notes on the person")
    sections: dict[str, dict[str, Any]] = Field(description="What the other domains hold")


class ErasureOut(Schema):
    customer_id: str
    erased_ids: list[str]
    erased_at: datetime


# -- accounts ---------------------------------------------------------------------------------------------

Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]
EmailText = Annotated[str, StringConstraints(min_length=3, max_length=320)]


class SignUpIn(Schema):
    email: EmailText
    password: Password | None = Field(
        default=None, description="Without one, the customer signs in by e-mailed link"
    )
    given_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    family_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: Annotated[str | None, StringConstraints(max_length=40)] = None
    birth_date: BoundedDate | None = None
    locale: Literal["fr", "en"] | None = None
    consents: list[ConsentIn] = Field(default_factory=list, max_length=50)
    anonymous_token: Annotated[str | None, StringConstraints(max_length=200)] = None
    return_url: Annotated[str | None, StringConstraints(max_length=2000)] = Field(
        default=None, description="Page the e-mailed link opens (?token=… is appended); same site as the API"
    )


class SignInIn(Schema):
    email: EmailText
    password: Password
    anonymous_token: Annotated[str | None, StringConstraints(max_length=200)] = Field(
        default=None, description="What the client held before signing in (e.g. its anonymous cart token)"
    )


class LinkRequestIn(Schema):
    email: EmailText
    return_url: Annotated[str | None, StringConstraints(max_length=2000)] = Field(
        default=None, description="Page the e-mailed link opens (?token=… is appended); same site as the API"
    )
    locale: Literal["fr", "en"] | None = None


class LinkSignInIn(Schema):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    anonymous_token: Annotated[str | None, StringConstraints(max_length=200)] = None
    password: Annotated[str | None, StringConstraints(max_length=200)] = Field(
        default=None, description="Confirming a sign-up that chose a password: that password"
    )


class PasswordResetConfirmIn(Schema):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    password: Password


class SessionOut(Schema):
    customer_id: str
    token: str = Field(description="Send as X-Customer-Token with the channel's API key")
    expires_at: datetime


class Accepted(Schema):
    status: Literal["accepted"] = "accepted"
    detail: str
