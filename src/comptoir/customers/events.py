"""Facts the customers domain publishes. Other domains follow merges and erasures through them."""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class CustomerCreated(DomainEvent):
    event_type: ClassVar[str] = "customers.customer_created"
    customer_id: str
    source: str


class CustomerUpdated(DomainEvent):
    """The golden record changed (``fields`` names what), or its segments did."""

    event_type: ClassVar[str] = "customers.customer_updated"
    customer_id: str
    fields: list[str]


class CustomersMerged(DomainEvent):
    """``merged_ids`` are now ``surviving_id``: every other domain re-points its data to it."""

    event_type: ClassVar[str] = "customers.customers_merged"
    surviving_id: str
    merged_ids: list[str]
    merge_id: str
    reason: str


class CustomersUnmerged(DomainEvent):
    """A merge was undone: ``restored_ids`` are customers again, each with their own source records."""

    event_type: ClassVar[str] = "customers.customers_unmerged"
    surviving_id: str
    restored_ids: list[str]
    merge_id: str


class CustomerErased(DomainEvent):
    """GDPR erasure: every domain erases or anonymises what it holds on each of ``erased_ids``."""

    event_type: ClassVar[str] = "customers.customer_erased"
    customer_id: str
    erased_ids: list[str]


class ConsentChanged(DomainEvent):
    event_type: ClassVar[str] = "customers.consent_changed"
    customer_id: str
    purpose: str
    channel: str
    granted: bool
    stated_at: str


class CustomerSignedIn(DomainEvent):
    """A customer signed in on ``channel``; ``anonymous_token`` is what the client held before (its
    anonymous cart, for instance), so the carts domain can merge it into the customer's."""

    event_type: ClassVar[str] = "customers.customer_signed_in"
    customer_id: str
    channel: str | None
    anonymous_token: str | None = None
    method: str = "password"  # password | link | sign-up


class MatchReviewOpened(DomainEvent):
    event_type: ClassVar[str] = "customers.match_review_opened"
    review_id: str
    customer_ids: list[str]
    score: float


class SignInLinkRequested(DomainEvent):
    """Someone asked for a one-time sign-in link; a handler makes the token and sends the e-mail."""

    event_type: ClassVar[str] = "customers.sign_in_link_requested"
    account_id: str
    return_url: str
    locale: str | None = None


class PasswordResetRequested(DomainEvent):
    event_type: ClassVar[str] = "customers.password_reset_requested"
    account_id: str
    return_url: str
    locale: str | None = None


class CustomersBulkLoaded(DomainEvent):
    """An initial load filled an empty customer base at once (no event per customer is published)."""

    event_type: ClassVar[str] = "customers.customers_bulk_loaded"
    records: int
    customers: int
    reviews: int


class AddressVerificationRequested(DomainEvent):
    """A sign-up: a handler e-mails the link that proves the address (and signs in)."""

    event_type: ClassVar[str] = "customers.address_verification_requested"
    account_id: str
    return_url: str
    locale: str | None = None


class AccountExistsNotified(DomainEvent):
    """Someone signed up with an address an account already uses: its owner is told by e-mail (sign
    in or reset the password); the caller got the same answer as for a new account."""

    event_type: ClassVar[str] = "customers.account_exists_notified"
    account_id: str
    return_url: str
    locale: str | None = None
