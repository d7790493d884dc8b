"""Outgoing e-mail: compose (text, HTML, attachments) and send through SMTP, or into files in development.

``COMPTOIR_MAIL_URL`` chooses the transport: ``smtp://user:password@host:587?starttls=1`` (or
``smtps://…:465``) in production; ``file://var/mail`` (the default) writes each message as an ``.eml``
file that any mail client opens, so nothing leaves a developer's machine. With
``COMPTOIR_DKIM_PRIVATE_KEY_FILE`` every message either transport takes is DKIM-signed first.

Domains never send directly: a handler records the message with ``comptoir.core.outbound.queue_mail``
in its transaction, and the dispatcher hands the rendered bytes to a :class:`Mailer` after commit. A
message that must keep its identity across retries carries a fixed ``Mail.message_id``
(:func:`make_message_id`). A refusal is raised as one of :mod:`comptoir.core.messaging`'s
:class:`DeliveryFailure` classes (:func:`smtp_failure`): a hard bounce is a :class:`PermanentFailure`.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import importlib.util
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlparse

from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.messaging import (
    ConfigurationFailure,
    DeliveryFailure,
    MessageRefused,
    PermanentFailure,
    TransientFailure,
)
from comptoir.core.settings import DEFAULT_DKIM_HEADERS, Settings

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


# -- DKIM ----------------------------------------------------------------------------------------------------


class DkimKeyError(ValueError):
    """``COMPTOIR_DKIM_PRIVATE_KEY_FILE`` cannot be used: missing, unreadable, encrypted, another kind."""


@dataclass(frozen=True)
class DkimKey:
    algorithm: Literal["rsa-sha256", "ed25519-sha256"]
    # What dkimpy signs with: the PEM of an RSA key, the base64 seed of an Ed25519 one.
    secret: bytes = field(repr=False)
    bits: int


_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1, rsaEncryption
_ED25519_OID = bytes.fromhex("06032b6570")  # 1.3.101.112, id-Ed25519
_ED25519_SEED = b"\x04\x22\x04\x20"  # PKCS #8: the private key, an OCTET STRING of 32 bytes


def load_dkim_key(path: Path | str) -> DkimKey:
    """The DKIM key in ``path``, read once per path and kept; :class:`DkimKeyError` says what is wrong."""
    return _load_dkim_key(str(Path(path).absolute()))


@lru_cache(maxsize=8)
def _load_dkim_key(path: str) -> DkimKey:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DkimKeyError(
            f"COMPTOIR_DKIM_PRIVATE_KEY_FILE: cannot read {path}: {exc.strerror or exc}"
        ) from None
    try:
        return _parse_dkim_key(raw)
    except DkimKeyError as exc:
        raise DkimKeyError(f"COMPTOIR_DKIM_PRIVATE_KEY_FILE: {path}: {exc}") from None


def _parse_dkim_key(raw: bytes) -> DkimKey:
    blocks = [(label, body) for label, body in _PEM.findall(raw) if label.endswith(b"PRIVATE KEY")]
    if not blocks:
        seed = _base64(raw.strip())  # dkimpy's own Ed25519 form (dknewkey): the base64 seed alone
        if seed is not None and len(seed) == 32:
            return _ed25519_key(seed)
        raise DkimKeyError("no PEM private key (-----BEGIN … PRIVATE KEY-----) in it")
    label, body = blocks[0]
    if label == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type:" in body:
        raise DkimKeyError("the key is encrypted: store it unencrypted, readable by Comptoir's user only")
    der = _base64(b"".join(body.split()))
    if der is None:
        raise DkimKeyError("its PEM block is not base64")
    if label == b"RSA PRIVATE KEY" or (label == b"PRIVATE KEY" and _RSA_OID in der[:32]):
        return _rsa_key(label, der)
    if label == b"PRIVATE KEY" and _ED25519_OID in der[:16]:
        at = der.find(_ED25519_SEED)
        if at < 0 or len(der) < at + 36:
            raise DkimKeyError("unreadable Ed25519 key")
        return _ed25519_key(der[at + 4 : at + 36])
    raise DkimKeyError(f"a {label.decode().lower()} that is neither RSA nor Ed25519, DKIM's algorithms")


def _base64(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _rsa_key(label: bytes, der: bytes) -> DkimKey:
    from dkim.crypto import UnparsableKeyError, parse_private_key

    try:
        bits = int(parse_private_key(der)["modulus"]).bit_length()
    except UnparsableKeyError as exc:
        raise DkimKeyError(f"unreadable RSA key ({exc})") from None
    if bits < 1024:
        raise DkimKeyError(f"an RSA key of {bits} bits is too short: DKIM takes 1024 at least, 2048 advised")
    pem = b"-----BEGIN %s-----\n%s-----END %s-----\n" % (label, base64.encodebytes(der), label)
    return DkimKey("rsa-sha256", pem, bits)


def _ed25519_key(seed: bytes) -> DkimKey:
    if importlib.util.find_spec("nacl") is None:
        raise DkimKeyError(
            "Ed25519 signatures need PyNaCl (pip install pynacl); install it or use an RSA key"
        )
    return DkimKey("ed25519-sha256", base64.b64encode(seed), 256)


class DkimSigner:
    """Adds a ``DKIM-Signature`` (relaxed/relaxed, RFC 6376) over the body and those of ``headers`` the
    message has, as ``d=domain``, ``s=selector``."""

    def __init__(
        self, key: DkimKey, selector: str, domain: str, headers: Sequence[str] = DEFAULT_DKIM_HEADERS
    ) -> None:
        self.key = key
        self.selector = selector
        self.domain = domain
        self.headers = tuple(headers)

    def sign(self, message: bytes) -> bytes:
        import dkim

        signer = dkim.DKIM(message, signature_algorithm=self.key.algorithm.encode(), linesep=b"\r\n")
        present = {bytes(name).lower() for name, _ in signer.headers}
        include = [name.encode() for name in self.headers if name.lower().encode() in present]
        try:
            signature = signer.sign(
                self.selector.encode(),
                self.domain.encode(),
                self.key.secret,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=include,
            )
        except dkim.DKIMException as exc:
            raise ConfigurationFailure(f"DKIM signature failed: {exc}") from exc
        return bytes(signature) + message


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
    """Sends each message in its own session. Refusals and network errors are raised as
    :class:`DeliveryFailure` classes (:func:`smtp_failure`); once the server accepted the message
    (its answer to DATA), nothing that follows (QUIT) makes it fail — it would be sent again."""

    def __init__(
        self, url: str, sender: str, timeout: float = 30.0, *, signer: DkimSigner | None = None
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

    def deliver(self, message: bytes, recipient: str) -> None:
        signed = self.signer.sign(message) if self.signer is not None else message
        try:
            smtp = self._open()
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_failure(exc) from exc
        try:
            smtp.sendmail(bare_address(self.sender), [bare_address(recipient)], signed)
        except (smtplib.SMTPException, OSError) as exc:
            raise smtp_failure(exc) from exc
        finally:
            _close(smtp)

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


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
