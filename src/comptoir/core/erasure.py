"""Erasure in the kernel's own stores: what a person's data left in the event outbox, idempotency
responses, webhook and handler logs, and the development mail folder.

A domain erasing a person calls :func:`redact` with what it knows of them, *before* deleting it:
``ids`` (customer ids, order ids…) mark a record as theirs; ``values`` are their personal values
(e-mails, phones in every form, full names, card numbers), matched case-folded and in their
JSON-escaped and URL-encoded forms; ``names`` (a given name alone, a family name alone) are too
common to mark a record by themselves but are redacted inside a record that is theirs.

* event payloads that are theirs keep their ids and amounts; every personal-looking field and every
  string holding one of their values becomes :data:`ERASED` (the event log stays a log of facts);
* idempotency records holding their data are deleted (a retry then runs afresh, as after expiry);
* webhook attempt excerpts and errors, handler errors holding their data are cleared;
* files in the development mail folder addressed to or mentioning them are deleted;
* lines of the SMS and push sandboxes' JSON-lines files (``sandbox://<dir>``) sent to one of their
  phone numbers (compared in E.164) or push tokens, or mentioning them, are removed — each file
  rewritten atomically (a temporary file in the same directory, then ``os.replace``).

Erasure is rare and must be complete: the outbox is read in chunks and matched in Python (what a
SQL ``LIKE`` cannot: case-folding of accented letters, escaped forms in JSON text).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from sqlalchemy import delete, select, update

from comptoir.core import outbound
from comptoir.core.messaging import SANDBOX_SCHEME
from comptoir.core.models import (
    HandlerDelivery,
    IdempotencyRecord,
    OutboundMessage,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork

ERASED = "[erased]"
# Payload fields that hold personal data whatever their value (in an event that is the person's).
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "receipt_email",
        "phone",
        "name",
        "given_name",
        "family_name",
        "address",
        "street",
        "postcode",
        "city",
        "birth_date",
        "note",
        "comment",
        "loyalty_card",
        "anonymous_token",
    }
)
CHUNK = 500


def forms(value: str) -> set[str]:
    """The case-folded forms a value can take in stored text: as is, JSON-escaped, URL-encoded."""
    folded = value.casefold()
    out = {folded, json.dumps(folded)[1:-1], quote(folded, safe="@"), quote_plus(folded, safe="@")}
    out |= {
        f.casefold() for f in (json.dumps(value)[1:-1], quote(value, safe="@"), quote_plus(value, safe="@"))
    }
    return {f for f in out if f}


@dataclass
class Needles:
    ids: set[str]
    strong: set[str]  # forms of the person's values: a record holding one is theirs
    weak: set[str] = field(default_factory=set)  # forms of name parts: redacted in their records only

    @classmethod
    def of(
        cls, ids: Iterable[str], values: Iterable[str | None], names: Iterable[str | None] = ()
    ) -> Needles:
        strong = {f for v in values if v and len(v.strip()) >= 3 for f in forms(v.strip())}
        weak = {f for v in names if v and len(v.strip()) >= 3 for f in forms(v.strip())}
        return cls({i for i in ids if i}, strong, weak)

    def marks(self, text: str) -> bool:
        """Does ``text`` hold one of the ids or values (case-folded)?"""
        folded = text.casefold()
        return any(i.casefold() in folded for i in self.ids) or any(s in folded for s in self.strong)

    def holds_value(self, text: str) -> bool:
        folded = text.casefold()
        return any(s in folded for s in self.strong | self.weak)


def _scrub(value: Any, needles: Needles, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, needles, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, needles, key) for v in value]
    if key in PERSONAL_FIELDS and value is not None:
        return ERASED
    if isinstance(value, str) and needles.holds_value(value):
        return ERASED
    return value


def _payloads(uow: UnitOfWork) -> Iterator[list[tuple[int, Any]]]:
    last = 0
    while True:
        rows = uow.session.execute(
            select(OutboxEvent.seq, OutboxEvent.payload)
            .where(OutboxEvent.seq > last)
            .order_by(OutboxEvent.seq)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        yield [(int(seq), payload) for seq, payload in rows]
        last = int(rows[-1][0])


def redact_outbox(uow: UnitOfWork, needles: Needles) -> list[int]:
    """Scrub the person's event payloads; the sequence numbers of the events changed."""
    changed: list[int] = []
    for chunk in _payloads(uow):
        for seq, payload in chunk:
            text = json.dumps(payload, ensure_ascii=False)
            if not needles.marks(text):
                continue
            scrubbed = _scrub(payload, needles)
            if scrubbed != payload:
                uow.session.execute(
                    update(OutboxEvent).where(OutboxEvent.seq == seq).values(payload=scrubbed)
                )
                changed.append(seq)
    return changed


def forget_messages(uow: UnitOfWork, needles: Needles, values: Iterable[str | None]) -> int:
    """Outgoing mail: messages to the person are deleted; others lose the person from the events they
    publish once sent (``on_sent``/``on_failed``)."""
    deleted = sum(outbound.forget_recipient(uow, v) for v in values if v and "@" in v)
    rows = uow.session.execute(
        select(OutboundMessage.id, OutboundMessage.on_sent, OutboundMessage.on_failed)
    ).all()
    for message_id, on_sent, on_failed in rows:
        text = json.dumps([on_sent, on_failed], ensure_ascii=False)
        if needles.marks(text):
            uow.session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == message_id)
                .values(on_sent=_scrub(on_sent, needles), on_failed=_scrub(on_failed, needles))
            )
    return deleted


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def purge_idempotency(uow: UnitOfWork, needles: Needles) -> int:
    """Delete the stored responses (and requests' paths) that hold the person's data."""
    rows = uow.session.execute(
        select(
            IdempotencyRecord.id,
            IdempotencyRecord.path,
            IdempotencyRecord.response_body,
            IdempotencyRecord.response_headers,
        )
    ).all()
    doomed = [
        row_id
        for row_id, path, body, headers in rows
        if needles.marks(_text(body)) or needles.marks(path or "") or needles.marks(json.dumps(headers or {}))
    ]
    for start in range(0, len(doomed), CHUNK):
        uow.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(doomed[start : start + CHUNK]))
        )
    return len(doomed)


def clear_delivery_logs(uow: UnitOfWork, needles: Needles, event_seqs: Sequence[int]) -> int:
    """Webhook excerpts and errors of the person's events (a receiver may echo the payload), and any
    excerpt or error that quotes their data; handler errors alike."""
    cleared = 0
    seqs = set(event_seqs)
    attempts = uow.session.execute(
        select(
            WebhookAttempt.id,
            WebhookDelivery.event_seq,
            WebhookAttempt.response_excerpt,
            WebhookAttempt.error,
        )
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookAttempt.response_excerpt.is_not(None) | WebhookAttempt.error.is_not(None))
    ).all()
    for attempt_id, seq, excerpt, error in attempts:
        if seq in seqs or needles.marks(excerpt or "") or needles.marks(error or ""):
            uow.session.execute(
                update(WebhookAttempt)
                .where(WebhookAttempt.id == attempt_id)
                .values(response_excerpt=None, error=None)
            )
            cleared += 1
    for model in (WebhookDelivery, HandlerDelivery):
        rows = uow.session.execute(
            select(model.id, model.last_error).where(model.last_error.is_not(None))
        ).all()
        for row_id, error in rows:
            if needles.marks(error or ""):
                uow.session.execute(update(model).where(model.id == row_id).values(last_error=None))
                cleared += 1
    return cleared


def mail_folder(settings: Settings) -> Path | None:
    """The development mail folder (``file://`` transport); ``None`` when mail goes out by SMTP."""
    url = settings.mail_url
    return Path(url[len("file://") :]) if url.startswith("file://") else None


def _mail_text(raw: bytes) -> str:
    """Every header and decoded part of a message, so encoded words and base64 bodies are read too."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


def delete_mail_files(settings: Settings, needles: Needles) -> int:
    folder = mail_folder(settings)
    if folder is None or not folder.is_dir():
        return 0
    deleted = 0
    for path in sorted(folder.glob("*.eml")):
        raw = path.read_bytes()
        if needles.marks(raw.decode("utf-8", "replace")) or needles.marks(_mail_text(raw)):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ().\-/]{4,30}")


def e164_numbers(values: Iterable[str | None], region: str) -> set[str]:
    """The phone numbers among ``values``, in E.164 (national forms read in ``region``). A value that
    is not written as a phone number, or not a valid one, is left out (a card number is not a phone)."""
    import phonenumbers

    numbers: set[str] = set()
    for value in values:
        text = (value or "").strip()
        if not _PHONE_LIKE.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
            continue
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            numbers.add(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return numbers


def sandbox_folders(settings: Settings) -> dict[str, Path]:
    """The SMS and push sandboxes' directories (``sandbox://<dir>``), by the field naming the addressee
    in their lines (``to``: an E.164 number, ``token``: a device's push token)."""
    folders: dict[str, Path] = {}
    for key, url in (("to", settings.sms_url), ("token", settings.push_url)):
        if url.startswith(SANDBOX_SCHEME):
            folders[key] = Path(url[len(SANDBOX_SCHEME) :])
    return folders


def _theirs(line: str, key: str, addressees: set[str], needles: Needles) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, dict) and record.get(key) in addressees:
        return True
    return needles.marks(line)


def _rewrite_without(path: Path, key: str, addressees: set[str], needles: Needles) -> int:
    """Rewrite ``path`` without the person's lines; how many went. A sender appending meanwhile makes
    the file grow: it is read again rather than replaced with a copy that lacks the new line."""
    for _ in range(5):
        raw = path.read_bytes()
        lines = raw.decode("utf-8", "replace").splitlines(keepends=True)
        kept = [line for line in lines if not _theirs(line, key, addressees, needles)]
        if len(kept) == len(lines):
            return 0
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write("".join(kept).encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            if path.stat().st_size != len(raw):
                continue  # a line was appended since it was read
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)
        return len(lines) - len(kept)
    raise OSError(f"{path} keeps changing: the person's lines could not be removed")


def delete_sandbox_messages(
    settings: Settings, needles: Needles, phones: Iterable[str], tokens: Iterable[str] = ()
) -> int:
    """Remove from the SMS and push sandboxes' files the lines sent to ``phones`` (E.164) or
    ``tokens``, or mentioning the person; returns how many lines were removed."""
    addressees = {"to": set(phones), "token": {t for t in tokens if t}}
    removed = 0
    for key, folder in sandbox_folders(settings).items():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.jsonl")):
            removed += _rewrite_without(path, key, addressees[key], needles)
    return removed


@dataclass(frozen=True)
class Redacted:
    events: int
    idempotency_records: int
    log_entries: int
    mail_files: int
    sandbox_lines: int = 0


def redact(
    uow: UnitOfWork,
    settings: Settings,
    *,
    ids: Iterable[str],
    values: Iterable[str | None],
    names: Iterable[str | None] = (),
    push_tokens: Iterable[str] = (),
) -> Redacted:
    """Erase the person's traces in the kernel's stores (see the module's docstring). Phone numbers
    among ``values`` (any form) and ``push_tokens`` name the sandboxes' lines to remove. The mail and
    sandbox files go at once (a file system is not transactional): call it where the erasure commits
    right after."""
    values = list(values)
    needles = Needles.of(ids, values, names)
    if not needles.ids and not needles.strong:
        return Redacted(0, 0, 0, 0)
    seqs = redact_outbox(uow, needles)
    forget_messages(uow, needles, values)
    purged = purge_idempotency(uow, needles)
    cleared = clear_delivery_logs(uow, needles, seqs)
    uow.session.flush()
    mail_files = delete_mail_files(settings, needles)
    phones = e164_numbers(values, settings.default_region)
    lines = delete_sandbox_messages(settings, needles, phones, push_tokens)
    return Redacted(len(seqs), purged, cleared, mail_files, lines)
