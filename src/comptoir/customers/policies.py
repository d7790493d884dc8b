"""Pure rules of the single customer record: survivorship, consent, accounts, segments, access.

No I/O here. Normalisation lives in :mod:`~comptoir.customers.normalisation` and identity
resolution (blocking, the pair score, clusters) in :mod:`~comptoir.customers.matching`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from comptoir.customers.normalisation import ADDRESS_FIELDS, PERSON_FIELDS, Person

# Where a source record comes from: the touchpoints, then what Comptoir itself records.
IMPORT_SOURCES = ("pos", "web", "app", "call-centre", "eticket")
SOURCES = (*IMPORT_SOURCES, "account", "staff", "rectification")


# -- survivorship ---------------------------------------------------------------------------------------------

# Higher wins when two source records disagree: staff corrections, then what the customer typed
# into their own account, then the e-receipt (typed by the customer at the till), then the rest.
SOURCE_PRIORITY = {
    "rectification": 60,
    "account": 50,
    "app": 40,
    "web": 40,
    "eticket": 30,
    "staff": 25,
    "pos": 20,
    "call-centre": 10,
}


@dataclass(frozen=True, slots=True)
class SourceView:
    id: str
    source: str
    received_at: datetime
    person: Person
    email_verified: bool = False
    flags: Sequence[str] = ()


def survive(records: Iterable[SourceView]) -> tuple[Person, dict[str, str]]:
    """The golden record and, per field, the id of the source record it came from.

    * e-mail: the most recent verified one, else the most recent valid one;
    * address (street, postcode, city, country together): the most complete, then the most recent;
    * phone: a valid number first, then as every other field;
    * every other field: highest source priority, then most recent, skipping empty values."""
    recs = list(records)
    values: dict[str, str | None] = dict.fromkeys(PERSON_FIELDS)
    lineage: dict[str, str] = {}

    def by_priority(r: SourceView) -> tuple[int, datetime, str]:
        return (SOURCE_PRIORITY.get(r.source, 0), r.received_at, r.id)

    for name in PERSON_FIELDS:
        if name in ADDRESS_FIELDS or name == "email":
            continue
        for r in sorted(recs, key=by_priority, reverse=True):
            value = getattr(r.person, name)
            if value:
                values[name], lineage[name] = value, r.id
                break
    valid_phones = [r for r in recs if r.person.phone and "phone_invalid" not in r.flags]
    if valid_phones:  # a valid number beats an invalid one whatever the source
        best = max(valid_phones, key=by_priority)
        values["phone"], lineage["phone"] = best.person.phone, best.id
    with_email = [r for r in recs if r.person.email]
    if with_email:
        best = max(with_email, key=lambda r: (r.email_verified, r.received_at, r.id))
        values["email"], lineage["email"] = best.person.email, best.id
    with_address = [r for r in recs if r.person.street or r.person.postcode or r.person.city]
    if with_address:

        def completeness(r: SourceView) -> tuple[int, datetime, str]:
            return (sum(1 for f in ADDRESS_FIELDS if getattr(r.person, f)), r.received_at, r.id)

        best = max(with_address, key=completeness)
        for name in ADDRESS_FIELDS:
            values[name] = getattr(best.person, name)
            if values[name]:
                lineage[name] = best.id
    return Person(**values), lineage


# -- consent -----------------------------------------------------------------------------------------------------

PURPOSES = ("marketing", "profiling", "e-receipt", "partners", "satisfaction-surveys")
CONSENT_CHANNELS = ("email", "sms", "push", "post", "phone")


@dataclass(frozen=True, slots=True)
class Statement:
    purpose: str
    channel: str
    granted: bool
    stated_at: datetime
    seq: int = 0


def current_consent(statements: Iterable[Statement], purpose: str, channel: str) -> bool:
    """The latest statement for (purpose, channel) wins; no statement means no consent (opt-in)."""
    relevant = [s for s in statements if s.purpose == purpose and s.channel == channel]
    if not relevant:
        return False
    return max(relevant, key=lambda s: (s.stated_at, s.seq)).granted


# -- accounts -------------------------------------------------------------------------------------------------------

MAX_FAILED_SIGN_INS = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10


MAX_PASSWORD_LENGTH = 200
SESSION_TTL_SECONDS = 3600  # customer tokens are short-lived: sign in again after an hour
ONE_TIME_LINK_TTL_SECONDS = 15 * 60
PASSWORD_RESET_TTL_SECONDS = 60 * 60


def password_problem(password: str, email: str | None) -> str | None:
    """Why a new password is refused, or ``None``. Length matters more than character classes."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must have at most {MAX_PASSWORD_LENGTH} characters."
    local = email.split("@")[0].lower() if email else ""
    if len(local) >= 4 and local in password.lower():
        return "The password must not contain the e-mail address."
    if len(set(password)) < 4:
        return "The password is too repetitive."
    return None


# Sign-in attempts are throttled per e-mail address (whether or not an account uses it, so the
# answers do not tell) and per client address (one machine trying many accounts). An attempt is
# counted *before* its password is checked; a success gives the slot back.
MAX_ATTEMPTS_PER_CLIENT = 30
CLIENT_WINDOW_SECONDS = 15 * 60
IDLE_THROTTLE_SECONDS = 24 * 3600  # a counter untouched for a day (and not locked) is forgotten


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    limit: int  # attempts counted before the key locks
    lock_seconds: int  # how long it stays locked once the limit is reached


def throttle_rule(kind: str) -> ThrottleRule:
    """``email``: 5 attempts, then 15 minutes; ``client``: 30 attempts, then 15 minutes."""
    if kind == "email":
        return ThrottleRule(MAX_FAILED_SIGN_INS, LOCK_SECONDS)
    return ThrottleRule(MAX_ATTEMPTS_PER_CLIENT, CLIENT_WINDOW_SECONDS)


# -- self-asserted identity ----------------------------------------------------------------------------------------

# Records a person typed about themselves (a sign-up, or anything sent with a website, app or live
# key, whatever ``source`` it claims): nobody checked them, so they never join an existing customer
# until a contact point is verified (an e-mailed link followed). Records the retailer's own systems
# send with staff or system keys (a till, a back-office import of web orders) are vouched for by them.
SELF_ASSERTED_SOURCES = frozenset({"account"})
SELF_ASSERTING_CHANNELS = frozenset({"web", "app", "live"})


def self_asserted(source: str, channel_kind: str) -> bool:
    """Is a record from ``source`` sent with a ``channel_kind`` key unverified by nature?"""
    return source in SELF_ASSERTED_SOURCES or channel_kind in SELF_ASSERTING_CHANNELS


# -- segments ------------------------------------------------------------------------------------------------------

SEGMENT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_SEGMENTS = 50


def clean_segments(segments: Iterable[str]) -> list[str]:
    """Sorted, distinct, lower-case slugs such as ``vip``, ``staff``, ``pro``; ``ValueError`` otherwise."""
    out = sorted({s.strip().lower() for s in segments})
    for segment in out:
        if not SEGMENT_RE.match(segment):
            raise ValueError(f"segment {segment!r} must be a slug of lower-case letters, digits and dashes")
    if len(out) > MAX_SEGMENTS:
        raise ValueError(f"at most {MAX_SEGMENTS} segments")
    return out


# -- staff notes on a customer ------------------------------------------------------------------------------------

MAX_NOTE_LENGTH = 2000
NOTES_SHOWN = 5  # the latest notes in the 360° view


def clean_note(body: str) -> str:
    """A note's text, trimmed; ``ValueError`` when empty or longer than :data:`MAX_NOTE_LENGTH`."""
    text = body.strip()
    if not text:
        raise ValueError("a note needs some text")
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"a note holds at most {MAX_NOTE_LENGTH} characters")
    return text


# -- who may see whom ---------------------------------------------------------------------------------------------

CUSTOMER_FACING = frozenset({"web", "app"})


def may_access_customer(channel_kind: str, token_customer_id: str | None, target_id: str) -> str | None:
    """Why the caller may not act on customer ``target_id`` (both ids already resolved), or ``None``.

    A signed-in customer reaches only their own record; a website or app key without a customer
    token reaches nobody's; staff channels (back office, stores, call centre, live) reach everyone."""
    if token_customer_id is not None:
        return None if token_customer_id == target_id else "A customer may only act on their own data."
    if channel_kind in CUSTOMER_FACING:
        return "Customer data on this channel needs the signed-in customer's token (X-Customer-Token)."
    return None
