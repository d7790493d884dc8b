"""Outgoing e-mail: compose (text, HTML, attachments) and send through SMTP, or into files in development.

``COMPTOIR_MAIL_URL`` chooses the transport: ``smtp://user:password@host:587?starttls=1`` (or
``smtps://…:465``) in production; ``file://var/mail`` (the default) writes each message as an ``.eml``
file that any mail client opens, so nothing leaves a developer's machine. With
``COMPTOIR_DKIM_PRIVATE_KEY_FILE`` every message either transport takes is DKIM-signed first
(:mod:`comptoir.core.dkim_signing`). The mail queue sends a batch in one :meth:`SmtpMailer.session`:
one connection for many messages, opened again when the server closed it.

Domains never send directly: a handler records the message with ``comptoir.core.outbound.queue_mail``
in its transaction, and the dispatcher hands the rendered bytes to a :class:`Mailer` after commit. A
message that must keep its identity across retries carries a fixed ``Mail.message_id``
(:func:`make_message_id`). A refusal is raised as one of :mod:`comptoir.core.messaging`'s
:class:`DeliveryFailure` classes (:func:`smtp_failure`): a hard bounce is a :class:`PermanentFailure`.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import ssl
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

from comptoir.core import clock
from comptoir.core.dkim_signing import DkimKey as DkimKey
from comptoir.core.dkim_signing import DkimKeyError as DkimKeyError
from comptoir.core.dkim_signing import DkimSigner as DkimSigner
from comptoir.core.dkim_signing import load_dkim_key as load_dkim_key
from comptoir.core.ids import new_id
from comptoir.core.messaging import (
    ConfigurationFailure,
    DeliveryFailure,
    MessageRefused,
    PermanentFailure,
    TransientFailure,
)
from comptoir.core.settings import Settings

# RFC 5322's msg-id, kept to what mail systems take everywhere: dot-atoms on both sides of the @.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_MESSAGE_ID = re.compile(rf"<{_ATOM}@{_ATOM}>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Mail:
    """``message_id``: fixed by the caller (``<id@domain>``, brackets added when missing) so a retry
    goes out with the same one; a new one is made at composing when None."""

    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None

    def __post_init__(self) -> None:
        if self.message_id is not None:
            value = self.message_id.strip()
            value = value if value.startswith("<") else f"<{value}>"
            if len(value) > 250 or not _MESSAGE_ID.fullmatch(value):
                raise ValueError(f"{self.message_id!r} is not a Message-ID such as <id@shop.example.fr>")
            object.__setattr__(self, "message_id", value)


def make_message_id(sender: str) -> str:
    """A new ``<…@domain>`` Message-ID on the sender's domain, as :func:`compose` makes one."""
    return make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">") or "comptoir.local")


def unsubscribe_headers(url: str, *, mailto: str | None = None) -> dict[str, str]:
    """The header fields of one-click unsubscription (RFC 8058 on RFC 2369's ``List-Unsubscribe``): mail
    clients POST ``List-Unsubscribe=One-Click`` to ``url`` (HTTPS, the recipient's token in it);
    ``mailto`` adds an address for clients that write instead. Both are covered by the DKIM signature."""
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ValueError(f"a one-click unsubscribe link must be an https:// URL, not {url!r}")
    links = [url] + ([f"mailto:{bare_address(mailto)}?subject=unsubscribe"] if mailto else [])
    for link in links:
        if not link.isascii() or any(c in link for c in "<>, \t\r\n"):
            raise ValueError(f"{link!r}: percent-encode spaces, commas, brackets and non-ASCII characters")
    return {
        "List-Unsubscribe": ", ".join(f"<{link}>" for link in links),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


class _ListHeader(UnstructuredHeader, BaseHeader):
    """RFC 2369's list header fields (``List-Unsubscribe`` …): ASCII URIs in angle brackets, folded at
    their spaces only. The default policy would encode a long link as RFC 2047 words, which mail
    clients do not decode there — the link would be lost."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        if not value.isascii():
            raise ValueError(f"a list header field holds ASCII URIs only, not {value!r}")
        super().parse(value, kwds)

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 998
        lines: list[str] = []
        line = f"{self.name}:"
        for i, word in enumerate(str(self).split()):
            if i and len(line) + 1 + len(word) > limit:
                lines.append(line)
                line = ""
            line += " " + word
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def _policy() -> Policy:
    registry = HeaderRegistry()
    for name in ("unsubscribe", "unsubscribe-post", "subscribe", "help", "post", "owner", "archive"):
        registry.map_to_type(f"list-{name}", _ListHeader)
    return email.policy.default.clone(header_factory=registry)


_POLICY = _policy()
HEADER_POLICY = _POLICY  # what compose() writes with: the list header fields kept unencoded


def compose(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(clock.now().timestamp(), localtime=False)
    message["Message-ID"] = mail.message_id or make_message_id(sender)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def render(message: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line endings), the same bytes whatever the transport."""
    return message.as_bytes(policy=email.policy.SMTP)


def bare_address(address: str) -> str:
    """``no-reply@shop.fr`` of ``Comptoir <no-reply@shop.fr>``: what SMTP's ``MAIL FROM``/``RCPT TO`` take."""
    return parseaddr(address)[1] or address


# -- DKIM (comptoir.core.dkim_signing) ---------------------------------------------------------------------


def dkim_signer_from_settings(settings: Settings) -> DkimSigner | None:
    """The signer of ``COMPTOIR_DKIM_*``, None without a key; ``d=`` defaults to the sender's domain."""
    if settings.dkim_private_key_file is None or not settings.dkim_selector:
        return None
    domain = settings.dkim_domain or bare_address(settings.mail_from).rpartition("@")[2]
    return DkimSigner(
        load_dkim_key(settings.dkim_private_key_file), settings.dkim_selector, domain, settings.dkim_headers
    )


# -- transports ----------------------------------------------------------------------------------------------


class Mailer(Protocol):
    def deliver(self, message: bytes, recipient: str) -> None:
        """Hand one rendered message (RFC 5322 bytes) to the transport; raises when it is refused."""
        ...


class Delivering(Protocol):
    """What sends a batch of messages: a transport's session, or the transport itself."""

    def deliver(self, message: bytes, recipient: str) -> None: ...


def session_of(mailer: Mailer) -> AbstractContextManager[Delivering]:
    """A session sending many messages in turn (one SMTP connection kept open), closed on exit; a
    transport without sessions delivers each message by itself."""
    opener = getattr(mailer, "session", None)
    return opener() if callable(opener) else nullcontext(mailer)


class FileMailer:
    """Development transport: every message becomes ``<dir>/<time>-<id>.eml``."""

    def __init__(self, directory: Path, *, signer: DkimSigner | None = None) -> None:
        self.directory = directory
        self.signer = signer

    def deliver(self, message: bytes, recipient: str) -> None:
        signed = self.signer.sign(message) if self.signer is not None else message
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{clock.now():%Y%m%dT%H%M%S}-{new_id('mail')}.eml"
        (self.directory / name).write_bytes(signed)


class SmtpMailer:
    """Sends through an SMTP server. :meth:`deliver` sends one message in a session of its own;
    :meth:`session` keeps one connection for many messages (the mail queue sends a batch so).
    Refusals and network errors are raised as :class:`DeliveryFailure` classes (:func:`smtp_failure`);
    once the server accepted a message (its answer to DATA), nothing that follows (QUIT) makes it fail —
    it would be sent again."""

    def __init__(
        self,
        url: str,
        sender: str,
        timeout: float = 30.0,
        *,
        signer: DkimSigner | None = None,
        messages_per_connection: int = 100,
    ) -> None:
        parsed = urlparse(url)
        self.implicit_tls = parsed.scheme == "smtps"
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.starttls = parse_qs(parsed.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.sender = sender
        self.timeout = timeout
        self.signer = signer
        # Servers cap the messages of one connection (often at 100): a session opens a new one before.
        self.messages_per_connection = messages_per_connection
        self._tls: ssl.SSLContext | None = None

    def deliver(self, message: bytes, recipient: str) -> None:
        with self.session() as session:
            session.deliver(message, recipient)

    def session(self) -> SmtpSession:
        return SmtpSession(self)

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message) if self.signer is not None else message

    def tls_context(self) -> ssl.SSLContext:
        """The system's trusted certificates, loaded once (loading them took 25 ms, more than a send)."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=self.tls_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        return smtp


class _NotStarted(Exception):
    """The connection was found closed (or closing, 421) before the server took anything of the message."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class SmtpSession:
    """One SMTP connection, opened at the first message and kept for the next ones (a new one after
    ``messages_per_connection``), QUIT on exit. A kept connection the server closed meanwhile (idle
    time-out, 421) is found at the next message's MAIL FROM, before anything of it was sent: the message
    goes on a new connection at once. A failure after that is the message's own (raised, as
    :func:`smtp_failure` classes it), and the connection is reset (RSET) or dropped for the next one.
    One session per thread."""

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.connections = 0  # opened so far
        self._smtp: smtplib.SMTP | None = None
        self._sent = 0  # messages on the current connection

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def deliver(self, message: bytes, recipient: str) -> None:
        signed = self.mailer.sign(message)
        sender, to = bare_address(self.mailer.sender), bare_address(recipient)
        for _ in range(2):
            kept = self._smtp is not None
            smtp = self._connection()
            try:
                self._transaction(smtp, sender, to, signed)
            except _NotStarted as exc:
                self._drop()
                if kept:
                    continue  # the server closed the kept connection: once more, on a new one
                raise smtp_failure(exc.cause) from exc.cause
            except (smtplib.SMTPException, OSError) as exc:
                self._after_failure(smtp)
                raise smtp_failure(exc) from exc
            self._sent += 1
            if self._sent >= self.mailer.messages_per_connection:
                self.close()
            return

    def close(self) -> None:
        if self._smtp is not None:
            _close(self._smtp)
        self._smtp, self._sent = None, 0

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                self._smtp = self.mailer.connect()
            except (smtplib.SMTPException, OSError) as exc:
                raise smtp_failure(exc) from exc
            self.connections += 1
        return self._smtp

    def _transaction(self, smtp: smtplib.SMTP, sender: str, to: str, message: bytes) -> None:
        """``smtplib.SMTP.sendmail`` for one recipient, telling a connection lost before the message
        began (:class:`_NotStarted`) from a failure of the message itself."""
        options = [f"size={len(message)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        try:
            code, reply = smtp.mail(sender, options)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _NotStarted(exc) from exc
        if code == 421:
            raise _NotStarted(smtplib.SMTPSenderRefused(code, reply, sender))
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
        code, reply = smtp.data(message)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def _after_failure(self, smtp: smtplib.SMTP) -> None:
        """Ready the connection for the next message: RSET, or a new connection when it is lost."""
        try:
            code, _ = smtp.rset()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            with suppress(OSError):
                self._smtp.close()
        self._smtp, self._sent = None, 0


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


# -- what a refusal means -----------------------------------------------------------------------------------

_ENHANCED_STATUS = re.compile(rb"\s*([245])\.(\d{1,3})\.(\d{1,3})\b")


def smtp_failure(exc: BaseException) -> DeliveryFailure:
    """What an SMTP error means for the message and its recipient:

    - a 4xx reply, a time-out, a lost connection: :class:`TransientFailure`;
    - our session refused (5xx to MAIL FROM, HELO or the greeting, authentication, STARTTLS or AUTH not
      offered, an untrusted certificate): :class:`ConfigurationFailure`;
    - the recipient refused with 5xx (at RCPT, or at DATA with an address status 5.1/5.2/5.4.x): a hard
      bounce, :class:`PermanentFailure` — but a full mailbox (5.2.2, 552) is transient, and a policy
      refusal (5.7.x) or an oversized message (5.2.3, 5.3.4) is :class:`MessageRefused`;
    - the message refused at DATA otherwise: :class:`MessageRefused`.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, reply = next(iter(exc.recipients.values()))
        return _refusal(code, reply, at_recipient=True)
    if isinstance(exc, smtplib.SMTPDataError):
        return _refusal(exc.smtp_code, _reply(exc.smtp_error), at_recipient=False)
    if isinstance(exc, smtplib.SMTPResponseException):  # sender, greeting, HELO, AUTH, STARTTLS
        detail = f"{exc.smtp_code} {_reply(exc.smtp_error).decode('utf-8', 'replace')}"
        status = _status(_reply(exc.smtp_error))
        if 400 <= exc.smtp_code < 500:
            return TransientFailure(detail, code=exc.smtp_code, status=status)
        return ConfigurationFailure(detail, code=exc.smtp_code, status=status)
    if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        return ConfigurationFailure(f"{type(exc).__name__}: {exc}")
    return TransientFailure(f"{type(exc).__name__}: {exc}")


def _reply(value: bytes | str) -> bytes:
    return value.encode("utf-8", "replace") if isinstance(value, str) else value


def _status(reply: bytes) -> str | None:
    found = _ENHANCED_STATUS.match(reply)
    return ".".join(part.decode() for part in found.groups()) if found else None


def _refusal(code: int, reply: bytes, *, at_recipient: bool) -> DeliveryFailure:
    detail = f"{code} {reply.decode('utf-8', 'replace')}"
    status = _status(reply)
    if not 500 <= code < 600:
        return TransientFailure(detail, code=code, status=status)
    subject = status.split(".", 2)[1:] if status else None
    if subject == ["2", "2"] or (status is None and code == 552 and at_recipient):
        return TransientFailure(detail, code=code, status=status)  # mailbox full: a soft bounce
    if subject is not None and subject != ["2", "3"] and subject[0] in ("1", "2", "4"):
        return PermanentFailure(detail, code=code, status=status)
    if status is None and at_recipient and code in (550, 551, 553):
        return PermanentFailure(detail, code=code, status=status)
    return MessageRefused(detail, code=code, status=status)


def mailer_from_settings(settings: Settings) -> Mailer:
    url = settings.mail_url
    signer = dkim_signer_from_settings(settings)
    if url.startswith("file://"):
        return FileMailer(Path(url[len("file://") :]), signer=signer)
    if url.startswith(("smtp://", "smtps://")):
        return SmtpMailer(url, settings.mail_from, signer=signer)
    raise ValueError(f"COMPTOIR_MAIL_URL must start with file://, smtp:// or smtps://, not {url!r}")
