"""A :class:`~comptoir.core.mail.Mail` written straight to the bytes sent over SMTP, without building an
``EmailMessage`` first: the mail queue writes every message so (``queue_mail``).

The same message as ``render(compose(mail, sender))``, the same way: the same parts (text, then HTML as
its alternative, then the attachments), each body encoded as the standard library chooses
(``email.contentmanager``: 7bit, 8bit, quoted-printable or base64), CRLF line endings. What differs is the
cost: ``compose`` and ``render`` parsed and refolded every header field through ``email.headerregistry``,
two thirds of the time a journey's e-mail took to queue. Here a header field that is plain ASCII and fits
on one line is written as it is, and only the others (an accented subject, a display name, a long one-click
link) go through the standard library's header classes, folded and encoded as ``render`` would. A message
the fast path does not cover (an attachment's name that needs encoding) is composed by ``compose``.
"""

from __future__ import annotations

import email.policy
import random
import sys
from dataclasses import replace
from email.contentmanager import _encode_base64, _encode_text  # type: ignore[attr-defined]
from email.utils import formatdate

from comptoir.core import clock
from comptoir.core.mail import HEADER_POLICY, Mail, compose, make_message_id, render

_SMTP = email.policy.SMTP.clone(header_factory=HEADER_POLICY.header_factory)  # type: ignore[attr-defined]
_MAX = 78  # the policy's max_line_length, as compose() folds and encodes
_PLAIN = frozenset(map(chr, range(0x20, 0x7F)))
_TOKEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")


def message_bytes(mail: Mail, sender: str) -> tuple[bytes, str]:
    """The message as sent over SMTP, and its ``Message-ID``."""
    message_id = mail.message_id or make_message_id(sender)
    if not all(set(a.filename) <= _TOKEN and a.filename for a in mail.attachments):
        return render(compose(replace(mail, message_id=message_id), sender)), message_id
    fields = [
        ("From", sender),
        ("To", mail.to),
        ("Subject", mail.subject),
        ("Date", formatdate(clock.now().timestamp(), localtime=False)),
        ("Message-ID", message_id),
    ]
    if mail.reply_to:
        fields.append(("Reply-To", mail.reply_to))
    fields += mail.headers.items()
    fields.append(("MIME-Version", "1.0"))
    text = _text(mail.text, "plain")
    part = text if mail.html is None else _multipart("alternative", [text, _text(mail.html, "html")])
    if mail.attachments:
        attached = [_attachment(a.content, a.mime_type, a.filename) for a in mail.attachments]
        part = _multipart("mixed", [part, *attached])
    head = b"".join(_field(name, value) for name, value in fields)
    return head + part[0] + b"\r\n" + part[1], message_id


def _field(name: str, value: str) -> bytes:
    """``Name: value`` and its line ending: as it is when plain ASCII that fits on a line, else folded
    and encoded by the standard library's header class for it (which also refuses a line break)."""
    line = f"{name}: {value}"
    if len(line) <= _MAX and set(value) <= _PLAIN:
        return line.encode("ascii") + b"\r\n"
    return _SMTP.fold_binary(name, _SMTP.header_store_parse(name, value)[1])


def _text(content: str, subtype: str) -> tuple[bytes, bytes]:
    cte, payload = _encode_text(content, "utf-8", None, HEADER_POLICY)  # as compose() encodes
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n'
    return head.encode("ascii"), _lines(payload.encode("ascii", "surrogateescape"))


def _attachment(content: bytes, mime_type: str, filename: str) -> tuple[bytes, bytes]:
    maintype, _, subtype = mime_type.partition("/")
    head = (
        f"Content-Type: {maintype}/{subtype or 'octet-stream'}\r\nContent-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{filename}"\r\n'
    )
    return _field_lines(head), _lines(_encode_base64(content, _MAX).encode("ascii"))


def _field_lines(head: str) -> bytes:
    return b"".join(_field(*line.split(": ", 1)) for line in head.split("\r\n") if line)


def _multipart(subtype: str, parts: list[tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """The parts, each ended by a line break before the next boundary (its own, as ``render`` writes)."""
    boundary = _boundary(parts)
    head = f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"\r\n'.encode("ascii")
    separator = f"--{boundary}\r\n".encode("ascii")
    body = b"".join(separator + part_head + b"\r\n" + part_body + b"\r\n" for part_head, part_body in parts)
    return head, body + f"--{boundary}--\r\n".encode("ascii")


def _boundary(parts: list[tuple[bytes, bytes]]) -> str:
    """A boundary of the standard library's form that none of the parts holds."""
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
        if not any(boundary.encode() in head or boundary.encode() in body for head, body in parts):
            return boundary


def _lines(payload: bytes) -> bytes:
    """A body with CRLF line endings, ending with one."""
    lines = payload.splitlines()
    return b"\r\n".join(lines) + b"\r\n"
