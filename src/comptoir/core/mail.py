"""Outgoing e-mail: compose (text, HTML, attachments) and send through SMTP, or into files in development.

``COMPTOIR_MAIL_URL`` chooses the transport: ``smtp://user:password@host:587?starttls=1`` (or
``smtps://…:465``) in production; ``file://var/mail`` (the default) writes each message as an ``.eml``
file that any mail client opens, so nothing leaves a developer's machine.

Domains never send directly: a handler records the message with ``comptoir.core.outbound.queue_mail``
in its transaction, and the dispatcher hands the rendered bytes to a :class:`Mailer` after commit.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlparse

from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def compose(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(clock.now().timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">") or "comptoir.local")
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


class Mailer(Protocol):
    def deliver(self, message: bytes, recipient: str) -> None:
        """Hand one rendered message (RFC 5322 bytes) to the transport; raises when it is refused."""
        ...


class FileMailer:
    """Development transport: every message becomes ``<dir>/<time>-<id>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, message: bytes, recipient: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{clock.now():%Y%m%dT%H%M%S}-{new_id('mail')}.eml"
        (self.directory / name).write_bytes(message)


class SmtpMailer:
    def __init__(self, url: str, sender: str, timeout: float = 30.0) -> None:
        parsed = urlparse(url)
        self.implicit_tls = parsed.scheme == "smtps"
        self.host = parsed.hostname or "localhost"
        self.port = parsed.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.starttls = parse_qs(parsed.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.sender = sender
        self.timeout = timeout

    def deliver(self, message: bytes, recipient: str) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.sendmail(bare_address(self.sender), [bare_address(recipient)], message)


def mailer_from_settings(settings: Settings) -> Mailer:
    url = settings.mail_url
    if url.startswith("file://"):
        return FileMailer(Path(url[len("file://") :]))
    if url.startswith(("smtp://", "smtps://")):
        return SmtpMailer(url, settings.mail_from)
    raise ValueError(f"COMPTOIR_MAIL_URL must start with file://, smtp:// or smtps://, not {url!r}")
