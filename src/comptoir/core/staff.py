"""Staff people: employees who sign in as themselves (password hashed with argon2, an optional TOTP second
factor, sessions they can end), with a role and the shops they work in.

A session token looks like ``cps_<session id>.<secret>``; only its SHA-256 is stored. It is checked on
every request (no cache), so signing out, signing out everywhere and blocking an employee take effect at
once in every process. Failed sign-ins are counted in one guarded ``UPDATE`` before the password is
checked, so parallel guesses never get more tries than the limit, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field, field_validator, model_validator
from sqlalchemy import bindparam, select, update

from comptoir.core import clock
from comptoir.core.access import ROLE_SCOPES, SHOP_ROLES, Role
from comptoir.core.auth import hash_token
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from comptoir.core.ids import new_id
from comptoir.core.models import StaffAudit, StaffPerson, StaffSession
from comptoir.core.statements import json_value, utc_value
from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork

SESSION_PREFIX = "cps_"
SESSION_RE = re.compile(r"^cps_([0-9a-z_]{8,40})\.([A-Za-z0-9_-]{20,})$")
SESSION_HOURS = 12
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
WRONG_CREDENTIALS = "The e-mail address, the password or the code is not right."
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
_dummy_hash: str | None = None
_dummy_lock = threading.Lock()


def _dummy() -> str:
    """A hash verified against when the e-mail is unknown, so a failed sign-in takes as long either way."""
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
        return _dummy_hash


# -- schemas -------------------------------------------------------------------------------------------


class StaffPersonIn(Schema):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    shops: list[str] = Field(default_factory=list, max_length=500, description="Shops they work in")
    password: str | None = Field(default=None, min_length=12, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().casefold()
        if not EMAIL_RE.match(value):
            raise ValueError("not an e-mail address")
        return value

    @model_validator(mode="after")
    def _shops(self) -> StaffPersonIn:
        if self.role in SHOP_ROLES and not self.shops:
            raise ValueError(f"a {self.role.value} works in at least one shop")
        self.shops = sorted(set(self.shops))
        return self


class StaffPersonPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    shops: list[str] | None = Field(default=None, max_length=500)
    blocked: bool | None = Field(default=None, description="Block: every session ends and sign-in is refused")
    password: str | None = Field(default=None, min_length=12, max_length=200)


class StaffPersonOut(Schema):
    id: str
    email: str
    name: str
    role: Role
    shops: list[str]
    totp_enabled: bool
    blocked: bool
    created_at: datetime


class StaffSignIn(Schema):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    totp_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    shop_id: str | None = Field(default=None, max_length=40, description="The shop they work in today")


class StaffSessionOut(Schema):
    token: str = Field(description="Bearer token for the API (the pages keep it in a cookie). Shown once.")
    session_id: str
    person: StaffPersonOut
    shop_id: str | None
    expires_at: datetime


class SessionInfo(Schema):
    id: str
    shop_id: str | None
    created_at: datetime
    expires_at: datetime
    client: str | None
    current: bool


class TotpCode(Schema):
    code: str = Field(pattern=r"^\d{6}$", description="The six digits the authenticator app shows")


class TotpEnrolment(Schema):
    secret: str
    otpauth_uri: str


def _out(row: StaffPerson) -> StaffPersonOut:
    return StaffPersonOut(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        shops=list(row.shops),
        totp_enabled=row.totp_enabled,
        blocked=row.blocked_at is not None,
        created_at=row.created_at,
    )


# -- people --------------------------------------------------------------------------------------------


def _check_shops_within(by: Actor | None, shops: list[str], role: Role) -> None:
    """A shop-bound manager manages only people of their shops, in roles no higher than sellers'."""
    if by is None or by.shops is None:
        return
    if role not in SHOP_ROLES or not shops or not set(shops) <= by.shops:
        raise Forbidden("You manage the people of your own shops only.", slug="other-shop")


def create_person(uow: UnitOfWork, command: StaffPersonIn, *, by: Actor | None = None) -> StaffPersonOut:
    _check_shops_within(by, command.shops, command.role)
    exists = uow.session.scalar(select(StaffPerson.id).where(StaffPerson.email == command.email))
    if exists is not None:
        raise Conflict("An employee with this e-mail address exists.", slug="staff-email-taken")
    now = clock.now()
    row = StaffPerson(
        id=new_id("stf"),
        email=command.email,
        name=command.name,
        role=command.role.value,
        shops=command.shops,
        password_hash=_hasher.hash(command.password) if command.password else None,
        totp_secret=None,
        totp_enabled=False,
        totp_last_step=None,
        failed_attempts=0,
        locked_until=None,
        blocked_at=None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    return _out(row)


def _person(uow: UnitOfWork, person_id: str, by: Actor | None = None) -> StaffPerson:
    row = uow.session.get(StaffPerson, person_id)
    if row is None or (by is not None and by.shops is not None and not set(row.shops) & by.shops):
        raise NotFound(f"Employee {person_id} does not exist.", slug="staff-not-found")
    return row


def get_person(uow: UnitOfWork, person_id: str, *, by: Actor | None = None) -> StaffPersonOut:
    return _out(_person(uow, person_id, by))


def list_people(uow: UnitOfWork, *, by: Actor | None = None) -> list[StaffPersonOut]:
    rows = uow.session.scalars(select(StaffPerson).order_by(StaffPerson.email)).all()
    if by is not None and by.shops is not None:
        rows = [r for r in rows if set(r.shops) & by.shops]
    return [_out(r) for r in rows]


def update_person(
    uow: UnitOfWork, person_id: str, patch: StaffPersonPatch, *, by: Actor | None = None
) -> StaffPersonOut:
    row = _person(uow, person_id, by)
    role = patch.role or Role(row.role)
    shops = sorted(set(patch.shops)) if patch.shops is not None else list(row.shops)
    if role in SHOP_ROLES and not shops:
        raise InvalidInput(f"A {role.value} works in at least one shop.", field="shops")
    _check_shops_within(by, shops, role)
    if by is not None and by.staff_id == row.id and patch.role is not None and patch.role != Role(row.role):
        raise Forbidden("You cannot change your own role.", slug="own-role")
    row.role, row.shops = role.value, shops
    if patch.name is not None:
        row.name = patch.name
    if patch.password is not None:
        row.password_hash = _hasher.hash(patch.password)
        end_sessions(uow, row.id)
    if patch.blocked is True and row.blocked_at is None:
        row.blocked_at = clock.now()
        end_sessions(uow, row.id)
    elif patch.blocked is False:
        row.blocked_at = None
        row.failed_attempts, row.locked_until = 0, None
    row.updated_at = clock.now()
    return _out(row)


# -- sign-in and sessions --------------------------------------------------------------------------------


def _claim_attempt(uow: UnitOfWork, person_id: str, now: datetime) -> bool:
    """Count one attempt in a guarded UPDATE: False when the account is locked (nothing is checked)."""
    until = now + timedelta(minutes=LOCK_MINUTES)
    stmt = (
        update(StaffPerson)
        .where(StaffPerson.id == person_id)
        .where((StaffPerson.locked_until.is_(None)) | (StaffPerson.locked_until <= now))
        .where(StaffPerson.failed_attempts < MAX_FAILED_ATTEMPTS)
        .values(failed_attempts=StaffPerson.failed_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    claimed: bool = uow.session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
    if not claimed:
        # A lock that has run out starts a new series; a full series locks the account.
        reset = (
            update(StaffPerson)
            .where(StaffPerson.id == person_id)
            .where(StaffPerson.locked_until.is_not(None))
            .where(StaffPerson.locked_until <= now)
            .values(failed_attempts=1, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        claimed = uow.session.execute(reset).rowcount == 1  # type: ignore[attr-defined]
        if not claimed:
            uow.session.execute(
                update(StaffPerson)
                .where(StaffPerson.id == person_id)
                .where(StaffPerson.locked_until.is_(None))
                .values(locked_until=until)
                .execution_options(synchronize_session=False)
            )
    return claimed


def _totp_ok(row: StaffPerson, code: str | None, now: datetime) -> bool:
    if not row.totp_enabled:
        return True
    if code is None or row.totp_secret is None:
        return False
    totp = pyotp.TOTP(row.totp_secret)
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        step = totp.timecode(at)
        if secrets.compare_digest(totp.at(at), code):
            if row.totp_last_step is not None and step <= row.totp_last_step:
                return False  # a code is used once
            row.totp_last_step = step
            return True
    return False


def sign_in(uow: UnitOfWork, command: StaffSignIn, *, client: str | None = None) -> StaffSessionOut:
    """Check the password (and TOTP code) and open a session. Commit even when it fails: the failed
    attempt is counted. Raises :class:`Unauthorized` with one message whatever was wrong."""
    now = clock.now()
    email = command.email.strip().casefold()
    row = uow.session.scalar(select(StaffPerson).where(StaffPerson.email == email))
    if row is None or row.password_hash is None or row.blocked_at is not None:
        _verify(_dummy(), command.password)
        raise Unauthorized(WRONG_CREDENTIALS)
    if not _claim_attempt(uow, row.id, now):
        _verify(_dummy(), command.password)
        raise Unauthorized(WRONG_CREDENTIALS)
    uow.session.refresh(row)
    if not _verify(row.password_hash, command.password) or not _totp_ok(row, command.totp_code, now):
        raise Unauthorized(WRONG_CREDENTIALS)
    shop = command.shop_id or (row.shops[0] if len(row.shops) == 1 else None)
    if shop is not None and row.shops and shop not in row.shops:
        raise InvalidInput("You do not work in this shop.", field="shop_id")
    row.failed_attempts, row.locked_until = 0, None
    session_id = new_id("sss")
    token = f"{SESSION_PREFIX}{session_id}.{secrets.token_urlsafe(32)}"
    expires = now + timedelta(hours=SESSION_HOURS)
    uow.session.add(
        StaffSession(
            id=session_id,
            person_id=row.id,
            secret_hash=hash_token(token),
            shop_id=shop,
            created_at=now,
            expires_at=expires,
            ended_at=None,
            client=(client or "")[:200] or None,
        )
    )
    return StaffSessionOut(
        token=token, session_id=session_id, person=_out(row), shop_id=shop, expires_at=expires
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignedIn:
    """The employee behind a session token, and their name for the pages' header."""

    actor: Actor
    name: str


# One primary-key read per request that carries a session (every tablet call, every staff page), on
# the hot-read path: no ORM session, no thread hop from ``async`` code (see Database.read_rows).
_SESSION = (
    select(
        StaffSession.secret_hash,
        StaffSession.shop_id,
        StaffSession.expires_at,
        StaffSession.ended_at,
        StaffPerson.id,
        StaffPerson.role,
        StaffPerson.shops,
        StaffPerson.blocked_at,
        StaffPerson.name,
    )
    .join(StaffPerson, StaffPerson.id == StaffSession.person_id)
    .where(StaffSession.id == bindparam("session_id"))
)


def _session_id(token: str) -> str:
    found = session_id_of(token)
    if found is None:
        raise Unauthorized("The session is malformed; sign in again.")
    return found


def _signed_in(found: list[tuple[Any, ...]], token: str, request_id: str | None) -> SignedIn:
    """The session's row (as :data:`_SESSION` reads it) checked: live, unexpired, its person not
    blocked, the token's secret its own."""
    if not found:
        raise Unauthorized("The session has ended; sign in again.")
    secret_hash, shop_id, expires_at, ended_at, person_id, role_code, shops, blocked_at, name = found[0]
    expires = utc_value(expires_at)
    if (
        ended_at is not None
        or expires is None
        or expires <= clock.now()
        or blocked_at is not None
        or not secrets.compare_digest(secret_hash, hash_token(token))
    ):
        raise Unauthorized("The session has ended; sign in again.")
    role = Role(role_code)
    worked = json_value(shops)
    actor = Actor(
        key_id=None,
        channel=f"store:{shop_id}" if shop_id else None,
        scopes=ROLE_SCOPES[role],
        request_id=request_id,
        kind="staff",
        staff_id=person_id,
        role=role.value,
        shops=frozenset(worked) if worked else None,
    )
    return SignedIn(actor, name)


def actor_for(db: Database, token: str, *, request_id: str | None = None) -> Actor:
    """The employee behind a session token, from a thread (one hot read)."""
    found = db.read_rows(_SESSION, {"session_id": _session_id(token)})
    return _signed_in(found, token, request_id).actor


async def signed_in(db: Database, token: str, *, request_id: str | None = None) -> SignedIn:
    """The employee behind a session token and their name, from ``async`` code: one hot read awaited
    on the event loop (PostgreSQL) or on the kept connection (SQLite)."""
    found = await db.read_rows_async(_SESSION, {"session_id": _session_id(token)})
    return _signed_in(found, token, request_id)


def session_id_of(token: str) -> str | None:
    match = SESSION_RE.match(token)
    return match.group(1) if match else None


def end_session(uow: UnitOfWork, person_id: str, session_id: str) -> None:
    uow.session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id, StaffSession.person_id == person_id)
        .where(StaffSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def end_sessions(uow: UnitOfWork, person_id: str) -> int:
    """Sign out everywhere: every open session of the employee ends now."""
    result = uow.session.execute(
        update(StaffSession)
        .where(StaffSession.person_id == person_id, StaffSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_sessions(uow: UnitOfWork, person_id: str, current: str | None) -> list[SessionInfo]:
    now = clock.now()
    rows = uow.session.scalars(
        select(StaffSession)
        .where(StaffSession.person_id == person_id, StaffSession.ended_at.is_(None))
        .where(StaffSession.expires_at > now)
        .order_by(StaffSession.created_at.desc())
    ).all()
    return [
        SessionInfo(
            id=r.id,
            shop_id=r.shop_id,
            created_at=r.created_at,
            expires_at=r.expires_at,
            client=r.client,
            current=r.id == current,
        )
        for r in rows
    ]


def start_totp(uow: UnitOfWork, person_id: str, issuer: str = "Comptoir") -> TotpEnrolment:
    row = _person(uow, person_id)
    if row.totp_enabled:
        raise Conflict("Two-factor sign-in is already on.", slug="totp-enabled")
    row.totp_secret = pyotp.random_base32()
    row.updated_at = clock.now()
    uri = pyotp.TOTP(row.totp_secret).provisioning_uri(name=row.email, issuer_name=issuer)
    return TotpEnrolment(secret=row.totp_secret, otpauth_uri=uri)


def confirm_totp(uow: UnitOfWork, person_id: str, code: str) -> StaffPersonOut:
    row = _person(uow, person_id)
    if row.totp_secret is None or row.totp_enabled:
        raise Conflict("Start the two-factor enrolment first.", slug="totp-not-started")
    row.totp_enabled = True
    if not _totp_ok(row, code, clock.now()):
        row.totp_enabled = False
        raise InvalidInput("The code is not right: type the one your app shows now.", field="code")
    row.updated_at = clock.now()
    return _out(row)


# -- audit -------------------------------------------------------------------------------------------------


def audit_rows(uow: UnitOfWork, person_id: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(StaffAudit).order_by(StaffAudit.id.desc()).limit(limit)
    if person_id:
        query = query.where(StaffAudit.person_id == person_id)
    return [
        {
            "at": r.at,
            "person_id": r.person_id,
            "role": r.role,
            "channel": r.channel,
            "request_id": r.request_id,
            "events": r.events,
        }
        for r in uow.session.scalars(query).all()
    ]
