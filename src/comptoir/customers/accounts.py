"""Customer accounts on the website and app: sign-up, sign-in by password or one-time e-mailed link,
password reset, throttling of failures, and the short-lived customer token.

Signing up or in links the web/app identity to the golden record: the account's record is ingested
like any other, so it joins the customer the shops already know. ``customers.customer_signed_in``
carries the client's ``anonymous_token`` so the carts domain can merge the anonymous cart.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from comptoir.core import clock, tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.auth import hash_token
from comptoir.core.errors import Conflict, InvalidInput, Problem, RateLimited, Unauthorized
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, golden, ingestion, records
from comptoir.customers.events import CustomerSignedIn, PasswordResetRequested, SignInLinkRequested
from comptoir.customers.models import Account, OneTimeToken, SourceRecord
from comptoir.customers.normalisation import normalise_email
from comptoir.customers.policies import (
    ONE_TIME_LINK_TTL_SECONDS,
    PASSWORD_RESET_TTL_SECONDS,
    SESSION_TTL_SECONDS,
    lock_seconds_after,
    password_problem,
)
from comptoir.customers.schemas import (
    CustomerRecord,
    LinkRequestIn,
    LinkSignInIn,
    PasswordResetConfirmIn,
    SessionOut,
    SignInIn,
    SignUpIn,
)

hasher = PasswordHasher()
_dummy: str | None = None
_dummy_lock = threading.Lock()
WRONG_CREDENTIALS = "The e-mail address or the password is not right."


def dummy_hash() -> str:
    """A hash verified against when the e-mail is unknown, so a failed sign-in takes as long either way.

    Computed once per process, on first use rather than at import: hashing is deliberately slow, and
    processes that never sign anyone in (workers, commands) should not pay for it."""
    global _dummy
    if _dummy is None:
        with _dummy_lock:
            if _dummy is None:
                _dummy = hasher.hash(secrets.token_urlsafe(16))
    return _dummy


def _email(raw: str, field: str = "email") -> str:
    email, _ = normalise_email(raw)
    if email is None:
        raise InvalidInput("The e-mail address is not valid.", field=field)
    return email


def issue_session(settings: Settings, customer_id: str) -> SessionOut:
    token = tokens.sign(
        settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id}, SESSION_TTL_SECONDS
    )
    return SessionOut(
        customer_id=customer_id, token=token, expires_at=clock.now() + timedelta(seconds=SESSION_TTL_SECONDS)
    )


def _signed_in(uow: UnitOfWork, account: Account, anonymous_token: str | None, method: str) -> str:
    account.last_sign_in_at = clock.now()
    account.failed_attempts, account.locked_until = 0, None
    customer_id = records.resolve(uow, account.customer_id).id
    uow.record(
        CustomerSignedIn(
            customer_id=customer_id, channel=uow.actor.channel, anonymous_token=anonymous_token, method=method
        )
    )
    return customer_id


def sign_up(uow: UnitOfWork, body: SignUpIn, settings: Settings) -> SessionOut:
    """Create an account (a password is optional: without one, sign in by e-mailed link)."""
    email = _email(body.email)
    if body.password is not None and (problem := password_problem(body.password, email)):
        raise InvalidInput(problem, field="password")
    if uow.session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(
            "An account already exists with this e-mail address; sign in instead.", slug="account-exists"
        )
    fields = {
        "given_name": body.given_name,
        "family_name": body.family_name,
        "email": email,
        "phone": body.phone,
        "birth_date": body.birth_date.isoformat() if body.birth_date else None,
    }
    ingestion.require_valid(fields, settings.default_region)
    result = ingestion.ingest(
        uow, "account", CustomerRecord(**fields, locale=body.locale), region=settings.default_region
    )
    account = Account(
        id=new_id("acc"),
        customer_id=result.customer_id,
        email=email,
        password_hash=hasher.hash(body.password) if body.password is not None else None,
        email_verified=False,
        failed_attempts=0,
        locked_until=None,
        last_sign_in_at=None,
        locale=body.locale,
        created_at=clock.now(),
        created_channel=uow.actor.channel,
    )
    uow.session.add(account)
    uow.session.flush()
    if body.consents:
        consents.record(uow, result.customer_id, body.consents, "account")
    customer_id = _signed_in(uow, account, body.anonymous_token, "sign-up")
    return issue_session(settings, customer_id)


@dataclass(frozen=True)
class SignInOutcome:
    """A session, or the problem to raise once the failure has been counted (committed)."""

    session: SessionOut | None = None
    problem: Problem | None = None


def sign_in(uow: UnitOfWork, body: SignInIn, settings: Settings) -> SignInOutcome:
    email, _ = normalise_email(body.email)
    account = uow.session.scalar(select(Account).where(Account.email == email)) if email else None
    now = clock.now()
    if account is None or account.password_hash is None:
        _verify(dummy_hash(), body.password)
        return SignInOutcome(problem=Unauthorized(WRONG_CREDENTIALS))
    if account.locked_until is not None and account.locked_until > now:
        return SignInOutcome(problem=RateLimited(int((account.locked_until - now).total_seconds()) + 1))
    if not _verify(account.password_hash, body.password):
        failures = uow.session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(failed_attempts=Account.failed_attempts + 1)
            .returning(Account.failed_attempts)
        ).scalar_one()
        if lock := lock_seconds_after(failures):
            uow.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(locked_until=now + timedelta(seconds=lock))
            )
        return SignInOutcome(problem=Unauthorized(WRONG_CREDENTIALS))
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(body.password)
    customer_id = _signed_in(uow, account, body.anonymous_token, "password")
    return SignInOutcome(session=issue_session(settings, customer_id))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _return_url(settings: Settings, url: str | None, default_path: str) -> str:
    """Links may only lead to this platform or a front end it serves (no open redirect)."""
    if url is None:
        return settings.base_url.rstrip("/") + default_path
    allowed = [settings.base_url, *settings.cors_origins]
    if not any(url == origin or url.startswith(origin.rstrip("/") + "/") for origin in allowed):
        raise InvalidInput(
            "The return URL must be on this site or one of its front ends.", field="return_url"
        )
    return url


def request_sign_in_link(uow: UnitOfWork, body: LinkRequestIn, settings: Settings) -> None:
    """Queue a one-time sign-in link to the account's address; unknown addresses get nothing, and the
    caller cannot tell the difference."""
    return_url = _return_url(settings, body.return_url, "/sign-in")
    account = uow.session.scalar(select(Account).where(Account.email == _email(body.email)))
    if account is not None:
        uow.record(
            SignInLinkRequested(
                account_id=account.id, return_url=return_url, locale=body.locale or account.locale
            )
        )


def request_password_reset(uow: UnitOfWork, body: LinkRequestIn, settings: Settings) -> None:
    return_url = _return_url(settings, body.return_url, "/reset-password")
    account = uow.session.scalar(select(Account).where(Account.email == _email(body.email)))
    if account is not None:
        uow.record(
            PasswordResetRequested(
                account_id=account.id, return_url=return_url, locale=body.locale or account.locale
            )
        )


def make_one_time_token(uow: UnitOfWork, account_id: str, purpose: str) -> tuple[str, datetime]:
    """A fresh random token (returned once, for the e-mail); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    ttl = ONE_TIME_LINK_TTL_SECONDS if purpose == "sign-in" else PASSWORD_RESET_TTL_SECONDS
    expires_at = clock.now() + timedelta(seconds=ttl)
    uow.session.add(
        OneTimeToken(
            token_hash=hash_token(token),
            purpose=purpose,
            account_id=account_id,
            expires_at=expires_at,
            used_at=None,
        )
    )
    uow.session.flush()
    return token, expires_at


def _use_token(uow: UnitOfWork, token: str, purpose: str) -> Account:
    """Consume a one-time token: a guarded update, so two requests racing with it cannot both win."""
    now = clock.now()
    used = uow.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == hash_token(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.account_id)
    ).first()
    if used is None:
        raise Unauthorized("This link is invalid, expired or already used; ask for a new one.")
    account = uow.session.get(Account, used[0])
    assert account is not None
    _mark_verified(uow, account)
    return account


def _mark_verified(uow: UnitOfWork, account: Account) -> None:
    """Following an e-mailed link proves the address: the golden record prefers a verified e-mail."""
    if account.email_verified:
        return
    account.email_verified = True
    uow.session.execute(
        update(SourceRecord)
        .where(SourceRecord.customer_id == account.customer_id, SourceRecord.email == account.email)
        .values(email_verified=True)
    )
    customer = records.lock_customers(uow, [records.resolve(uow, account.customer_id).id])
    for row in customer.values():
        golden.refresh(uow, row)


def sign_in_with_link(uow: UnitOfWork, body: LinkSignInIn, settings: Settings) -> SessionOut:
    account = _use_token(uow, body.token, "sign-in")
    customer_id = _signed_in(uow, account, body.anonymous_token, "link")
    return issue_session(settings, customer_id)


def reset_password(uow: UnitOfWork, body: PasswordResetConfirmIn, settings: Settings) -> SessionOut:
    account = _use_token(uow, body.token, "reset")
    if problem := password_problem(body.password, account.email):
        raise InvalidInput(problem, field="password")
    account.password_hash = hasher.hash(body.password)
    customer_id = _signed_in(uow, account, None, "password-reset")
    return issue_session(settings, customer_id)
