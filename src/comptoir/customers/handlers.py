"""Reactions to this domain's own events: e-mail the one-time links, outside the request transaction.

Each handler runs once per event in its own transaction: it makes the token (only its hash is
stored) and records the message (``core.outbound``) in that transaction; the dispatcher sends it
once the transaction committed, so a customer never holds a link whose token was not saved, and no
lock is held while the mail server answers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from comptoir.core.events import Bus
from comptoir.core.i18n import format_when, translations
from comptoir.core.mail import Mail
from comptoir.core.outbound import queue_mail
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages
from comptoir.customers import accounts
from comptoir.customers.events import (
    AccountExistsNotified,
    AddressVerificationRequested,
    PasswordResetRequested,
    SignInLinkRequested,
)
from comptoir.customers.models import Account

pages = Pages(__package__ or "comptoir.customers")


def _link(return_url: str, token: str) -> str:
    return f"{return_url}{'&' if '?' in return_url else '?'}{urlencode({'token': token})}"


def _send(
    uow: UnitOfWork,
    settings: Settings,
    account_id: str,
    purpose: str,
    return_url: str,
    locale: str | None,
) -> None:
    account = uow.session.get(Account, account_id)
    if account is None:  # erased in the meantime: nothing to send
        return
    lang = locale or account.locale or settings.default_locale
    token, expires_at = accounts.make_one_time_token(uow, account.id, purpose)
    t = translations(__package__, lang)
    subjects = {
        "sign-in": t.gettext("Your sign-in link"),
        "verify": t.gettext("Confirm your e-mail address"),
        "reset": t.gettext("Reset your password"),
    }
    context = {
        "purpose": purpose,
        "link": _link(return_url, token),
        "expires": format_when(expires_at, lang, "short", settings.timezone),
    }
    queue_mail(
        uow,
        settings,
        Mail(
            to=account.email,
            subject=subjects[purpose],
            text=pages.render("customers/mail/link.txt", lang=lang, **context),
            html=pages.render("customers/mail/link.html", lang=lang, **context),
        ),
    )


def _account_exists(uow: UnitOfWork, settings: Settings, event: AccountExistsNotified) -> None:
    """Someone signed up with this address: its owner learns it and where to sign in or reset."""
    account = uow.session.get(Account, event.account_id)
    if account is None:
        return
    lang = event.locale or account.locale or settings.default_locale
    t = translations(__package__, lang)
    context = {"sign_in": event.return_url, "reset": settings.base_url.rstrip("/") + "/reset-password"}
    queue_mail(
        uow,
        settings,
        Mail(
            to=account.email,
            subject=t.gettext("You already have an account"),
            text=pages.render("customers/mail/account-exists.txt", lang=lang, **context),
            html=pages.render("customers/mail/account-exists.html", lang=lang, **context),
        ),
    )


def register_handlers(bus: Bus) -> None:
    settings: Settings = bus.settings or get_settings()

    def on_sign_in_link_requested(uow: UnitOfWork, event: SignInLinkRequested) -> None:
        _send(uow, settings, event.account_id, "sign-in", event.return_url, event.locale)

    def on_password_reset_requested(uow: UnitOfWork, event: PasswordResetRequested) -> None:
        _send(uow, settings, event.account_id, "reset", event.return_url, event.locale)

    def on_address_verification_requested(uow: UnitOfWork, event: AddressVerificationRequested) -> None:
        _send(uow, settings, event.account_id, "verify", event.return_url, event.locale)

    def on_account_exists_notified(uow: UnitOfWork, event: AccountExistsNotified) -> None:
        _account_exists(uow, settings, event)

    bus.subscribe(SignInLinkRequested, on_sign_in_link_requested, name="customers.send_sign_in_link")
    bus.subscribe(PasswordResetRequested, on_password_reset_requested, name="customers.send_password_reset")
    bus.subscribe(
        AddressVerificationRequested,
        on_address_verification_requested,
        name="customers.send_address_verification",
    )
    bus.subscribe(AccountExistsNotified, on_account_exists_notified, name="customers.send_account_exists")
