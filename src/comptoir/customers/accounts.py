"""Customer accounts on the website and app: sign-up, sign-in by password or one-time e-mailed link,
password reset, throttling of attempts, sessions that can be ended, and staff blocks.

Nobody is taken over by typing someone's e-mail: a sign-up keeps what the person typed as a separate,
unverified customer (the ingestion rule for self-asserted records) and e-mails a link to the address.
Following the link proves the address; only then is the record matched again and, when it is the
customer the shops already know, merged into them (an audited merge). Sign-up, sign-in and reset
answer alike whether or not an account exists; what differs goes by e-mail to the address.
``customers.customer_signed_in`` carries the client's ``anonymous_token`` so the carts domain can
merge the anonymous cart.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.auth import hash_token
from comptoir.core.errors import InvalidInput, NotFound, Problem, RateLimited, Unauthorized
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, golden, ingestion, merging, records, sessions
from comptoir.customers.events import (
    AccountExistsNotified,
    AddressVerificationRequested,
    CustomerSignedIn,
    PasswordResetRequested,
    SignInLinkRequested,
)
from comptoir.customers.models import Account, OneTimeToken, SourceRecord
from comptoir.customers.normalisation import normalise_email
from comptoir.customers.policies import (
    ONE_TIME_LINK_TTL_SECONDS,
    PASSWORD_RESET_TTL_SECONDS,
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
# Verified against when the e-mail is unknown, so a failed sign-in takes as long either way.
_dummy: str | None = None
_dummy_lock = threading.Lock()


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


WRONG_CREDENTIALS = "The e-mail address or the password is not right."


def _email(raw: str, field: str = "email") -> str:
    email, _ = normalise_email(raw)
    if email is None:
        raise InvalidInput("The e-mail address is not valid.", field=field)
    return email


def issue_session(uow: UnitOfWork, settings: Settings, customer_id: str) -> SessionOut:
    return sessions.issue(uow, settings.secret_key, customer_id)


def _signed_in(uow: UnitOfWork, account: Account, anonymous_token: str | None, method: str) -> str:
    account.last_sign_in_at = clock.now()
    customer_id = records.resolve(uow, account.customer_id).id
    uow.record(
        CustomerSignedIn(
            customer_id=customer_id, channel=uow.actor.channel, anonymous_token=anonymous_token, method=method
        )
    )
    return customer_id


SIGN_UP_ANSWER = "Check your mailbox: we sent a message to this address to finish signing up."


def sign_up(uow: UnitOfWork, body: SignUpIn, settings: Settings) -> str:
    """Create an unverified account (a password is optional: without one, sign in by e-mailed link)
    and e-mail a link proving the address; if an account already uses the address, e-mail its owner
    instead. The caller learns neither: the answer is :data:`SIGN_UP_ANSWER` either way."""
    email = _email(body.email)
    if body.password is not None and (problem := password_problem(body.password, email)):
        raise InvalidInput(problem, field="password")
    fields = {
        "given_name": body.given_name,
        "family_name": body.family_name,
        "email": email,
        "phone": body.phone,
        "birth_date": body.birth_date.isoformat() if body.birth_date else None,
    }
    ingestion.require_valid(fields, settings.default_region)
    return_url = _return_url(settings, body.return_url, "/sign-in")
    password_hash = hasher.hash(body.password or secrets.token_urlsafe(16))  # same cost on both paths
    existing = uow.session.scalar(select(Account).where(Account.email == email))
    if existing is not None:
        uow.record(
            AccountExistsNotified(
                account_id=existing.id, return_url=return_url, locale=body.locale or existing.locale
            )
        )
        return SIGN_UP_ANSWER
    result = ingestion.ingest(
        uow, "account", CustomerRecord(**fields, locale=body.locale), region=settings.default_region
    )
    account = Account(
        id=new_id("acc"),
        customer_id=result.customer_id,
        email=email,
        password_hash=password_hash if body.password is not None else None,
        email_verified=False,
        last_sign_in_at=None,
        locale=body.locale,
        created_at=clock.now(),
        created_channel=uow.actor.channel,
        blocked_at=None,
    )
    uow.session.add(account)
    uow.session.flush()
    if body.consents:
        consents.record(uow, result.customer_id, body.consents, "account")
    uow.record(AddressVerificationRequested(account_id=account.id, return_url=return_url, locale=body.locale))
    return SIGN_UP_ANSWER


@dataclass(frozen=True)
class SignInOutcome:
    """A session, or the problem to raise once the attempt has been counted (committed)."""

    session: SessionOut | None = None
    problem: Problem | None = None


def throttle_keys(settings: Settings, email: str, client: str) -> dict[str, str]:
    normalised, _ = normalise_email(email)
    return {
        "email": sessions.throttle_key(settings.secret_key, "email", normalised or email.strip().casefold()),
        "client": sessions.throttle_key(settings.secret_key, "client", client),
    }


def claim_attempt(uow: UnitOfWork, body: SignInIn, settings: Settings, client: str) -> sessions.Claim:
    """Take the attempt's slots (e-mail and client); the caller commits before :func:`sign_in`, or
    rolls back and answers 429 when ``retry_after`` is set."""
    return sessions.claim(uow, throttle_keys(settings, body.email, client))


def locked_out(claim: sessions.Claim) -> Problem:
    """The same answer for every locked address, account or not."""
    problem = RateLimited(claim.retry_after or 1)
    problem.detail = f"Too many sign-in attempts; try again in {claim.retry_after} s or reset the password."
    return problem


def sign_in(uow: UnitOfWork, body: SignInIn, settings: Settings, client: str) -> SignInOutcome:
    """Check the password of an attempt whose slots were taken; every failure answers alike."""
    email, _ = normalise_email(body.email)
    account = uow.session.scalar(select(Account).where(Account.email == email)) if email else None
    if account is None or account.password_hash is None:
        _verify(dummy_hash(), body.password)
        return SignInOutcome(problem=Unauthorized(WRONG_CREDENTIALS))
    if not _verify(account.password_hash, body.password) or account.blocked_at is not None:
        return SignInOutcome(problem=Unauthorized(WRONG_CREDENTIALS))
    keys = throttle_keys(settings, body.email, client)
    sessions.give_back(uow, keys["email"], keys["client"])
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(body.password)
    customer_id = _signed_in(uow, account, body.anonymous_token, "password")
    return SignInOutcome(session=issue_session(uow, settings, customer_id))


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
    if account is not None and account.blocked_at is None:
        uow.record(
            SignInLinkRequested(
                account_id=account.id, return_url=return_url, locale=body.locale or account.locale
            )
        )


def request_password_reset(uow: UnitOfWork, body: LinkRequestIn, settings: Settings) -> None:
    return_url = _return_url(settings, body.return_url, "/reset-password")
    account = uow.session.scalar(select(Account).where(Account.email == _email(body.email)))
    if account is not None and account.blocked_at is None:
        uow.record(
            PasswordResetRequested(
                account_id=account.id, return_url=return_url, locale=body.locale or account.locale
            )
        )


def make_one_time_token(uow: UnitOfWork, account_id: str, purpose: str) -> tuple[str, datetime]:
    """A fresh random token (returned once, for the e-mail); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    ttl = PASSWORD_RESET_TTL_SECONDS if purpose == "reset" else ONE_TIME_LINK_TTL_SECONDS
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


LINK_PURPOSES = ("sign-in", "verify")


PASSWORD_TO_CONFIRM = "Enter the password chosen at sign-up to confirm this address."


def _use_token(
    uow: UnitOfWork, token: str, purposes: tuple[str, ...], password: str | None = None
) -> Account:
    """Consume a one-time token: a guarded update, so two requests racing with it cannot both win.

    Confirming a sign-up that chose a password needs that password too: whoever follows the link
    then both reads the mailbox and knows the password, so a sign-up someone else made with this
    address (to pre-empt its owner's account) cannot be confirmed by its owner's unwary click. A
    wrong password rolls the transaction back, leaving the link usable. Any other link proving the
    address of an unconfirmed sign-up drops the password it chose."""
    now = clock.now()
    used = uow.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == hash_token(token),
            OneTimeToken.purpose.in_(purposes),
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.account_id, OneTimeToken.purpose)
    ).first()
    account = uow.session.get(Account, used[0]) if used is not None else None
    if account is None or account.blocked_at is not None:
        raise Unauthorized("This link is invalid, expired or already used; ask for a new one.")
    assert used is not None
    confirming = used[1] == "verify" and not account.email_verified
    if (
        confirming
        and account.password_hash is not None
        and not _verify(account.password_hash, password or "")
    ):
        raise Unauthorized(PASSWORD_TO_CONFIRM)
    if not confirming and not account.email_verified:
        # A sign-in or reset link proves the mailbox, not the password chosen at an unconfirmed
        # sign-up (perhaps someone else's): that password stops working; a reset sets a new one.
        account.password_hash = None
    verify_address(uow, account)
    return account


def verify_address(uow: UnitOfWork, account: Account) -> None:
    """Following an e-mailed link proves the address: the account's records are verified, matched
    again without the self-asserted hold, and the customers they match surely are merged into the
    oldest of them (the customer the shops knew first survives)."""
    if account.email_verified:
        return
    account.email_verified = True
    own = records.resolve(uow, account.customer_id).id
    sessions.end_sessions(uow, [own])  # tokens taken before the proof do not reach what it joins
    uow.session.execute(
        update(SourceRecord)
        .where(SourceRecord.customer_id == own, SourceRecord.email == account.email)
        .values(email_verified=True)
    )
    from comptoir.customers.matching import AUTO_MERGE_SCORE, person_keys  # numerical code, loaded on use

    sure: set[str] = set()
    verified = [r for r in records.active_records(uow, own) if r.person.email == account.email]
    for record in verified:
        best = ingestion.best_matches(uow, record.person, person_keys(record.person))
        sure |= {records.resolve(uow, c).id for c, (score, _) in best.items() if score >= AUTO_MERGE_SCORE}
    joined = sorted(c for c in sure - {own} if not merging.are_distinct(uow, own, c))
    if joined:
        survivor, *others = sorted([own, *joined])  # ids are time-ordered: the oldest survives
        merging.merge(
            uow, survivor, others, reason="verified", record_id=verified[0].id if verified else None
        )
    else:
        for row in records.lock_customers(uow, [own]).values():
            golden.refresh(uow, row)


def sign_in_with_link(uow: UnitOfWork, body: LinkSignInIn, settings: Settings) -> SessionOut:
    """Sign in with an e-mailed link: a sign-in link, or the link that finishes a sign-up."""
    account = _use_token(uow, body.token, LINK_PURPOSES, body.password)
    customer_id = _signed_in(uow, account, body.anonymous_token, "link")
    return issue_session(uow, settings, customer_id)


def reset_password(uow: UnitOfWork, body: PasswordResetConfirmIn, settings: Settings) -> SessionOut:
    """A new password ends every session opened with the old one, then signs in afresh."""
    account = _use_token(uow, body.token, ("reset",))
    if problem := password_problem(body.password, account.email):
        raise InvalidInput(problem, field="password")
    account.password_hash = hasher.hash(body.password)
    customer_id = _signed_in(uow, account, None, "password-reset")
    sessions.end_sessions(uow, [customer_id, account.customer_id])
    return issue_session(uow, settings, customer_id)


def sign_out_everywhere(uow: UnitOfWork, customer_id: str) -> None:
    sessions.end_sessions(uow, [customer_id])


def set_blocked(uow: UnitOfWork, customer_id: str, blocked: bool) -> int:
    """Staff block (or unblock) the customer's accounts: a block ends every session at once and
    refuses sign-in. Returns how many accounts changed; 404 when the customer has none."""
    accounts = uow.session.scalars(select(Account).where(Account.customer_id == customer_id)).all()
    if not accounts:
        raise NotFound("This customer has no account.", slug="no-account")
    changed = 0
    for account in accounts:
        if (account.blocked_at is not None) != blocked:
            account.blocked_at = clock.now() if blocked else None
            changed += 1
    if blocked:
        sessions.end_sessions(uow, [customer_id])
    uow.session.flush()
    return changed
