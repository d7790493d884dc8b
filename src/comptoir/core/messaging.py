"""SMS and push notifications through a provider, and the delivery outcomes every channel shares.

``COMPTOIR_SMS_URL`` and ``COMPTOIR_PUSH_URL`` choose the transport: ``https://…`` posts each message as
JSON to the provider's gateway with ``COMPTOIR_SMS_TOKEN``/``COMPTOIR_PUSH_TOKEN`` as a bearer token;
``sandbox://var/sms`` (the default) appends each message as a JSON line to ``var/sms/<date>.jsonl``, so
nothing leaves a developer's machine — as ``file://`` does for e-mail.

A sender returns a :class:`Delivery` or raises one of the :class:`DeliveryFailure` classes, which the
e-mail transports (:mod:`comptoir.core.mail`) raise too:

- :class:`TransientFailure` — try again later (``retry_after`` seconds when the provider said);
  :class:`ConfigurationFailure`, one of them, says our own set-up was refused (credentials, URL, TLS,
  sender): every message fails until an operator acts, so it is retried and worth an alert;
- :class:`PermanentFailure` — the address can never receive (invalid number, unregistered token, unknown
  mailbox): a hard bounce, the address is to be suppressed;
- :class:`MessageRefused` — this message was refused (size, content, policy), not the address: retrying
  the same message gives the same answer, and the address stays.

Nothing here runs inside a database transaction: the caller records the message, commits, sends, then
records the outcome. The message's ``reference`` goes as the ``Idempotency-Key`` header, so a retry after
a lost answer does not send twice with providers that honour it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings

if TYPE_CHECKING:
    import httpx


# -- outcomes ----------------------------------------------------------------------------------------------


class DeliveryFailure(Exception):
    """The transport did not take the message. ``code``: the server's reply code (SMTP or HTTP status);
    ``status``: SMTP's enhanced status (RFC 3463, ``"5.1.1"``) when the server gave one."""

    def __init__(self, detail: str, *, code: int | None = None, status: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status = status


class TransientFailure(DeliveryFailure):
    """Try again later: a busy or unreachable server, a time-out, a rate limit."""

    def __init__(
        self,
        detail: str,
        *,
        code: int | None = None,
        status: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail, code=code, status=status)
        self.retry_after = retry_after


class ConfigurationFailure(TransientFailure):
    """The provider or mail server refused our own set-up (credentials, URL, TLS, sender address): no
    message goes out until an operator fixes it; retried, never held against the recipient."""


class PermanentFailure(DeliveryFailure):
    """The address can never receive (invalid number or token, unknown mailbox): a hard bounce."""


class MessageRefused(DeliveryFailure):
    """This message was refused for itself (size, content, policy): no retry, the address stays."""


@dataclass(frozen=True)
class Delivery:
    """The provider took the message: ``sent`` on to the network, or ``queued`` on its side.
    ``provider_id`` is its id for the message (None when its answer named none)."""

    provider_id: str | None
    status: Literal["sent", "queued"]


# -- SMS text ----------------------------------------------------------------------------------------------

# 3GPP TS 23.038's default alphabet (without the escape, 0x1B) and its extension table, whose characters
# take two septets. 0x09 is the capital Ç: the lower-case ç (and ê, â, î, ô, û …) is not in it.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\x0c^{}\\[~]|€")


@dataclass(frozen=True)
class SmsLength:
    """``units``: septets (GSM-7) or UTF-16 code units (UCS-2); ``segments``: the SMS billed."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def sms_length(text: str) -> SmsLength:
    """How ``text`` travels: GSM-7 when every character is in its alphabet (160 septets in one SMS, 153
    per part of a longer one, extension characters such as € and [ taking two), UCS-2 otherwise (70, then
    67 per part, an emoji taking two). A character's units are never split across two parts."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
        units = [2 if c in GSM7_EXTENSION else 1 for c in text]
        single, part = 160, 153
    else:
        encoding = "UCS-2"
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, part = 70, 67
    total = sum(units)
    if total <= single:
        return SmsLength(encoding, total, 1 if total else 0)
    segments, used = 1, 0
    for size in units:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SmsLength(encoding, total, segments)


def sms_encoding(text: str) -> Literal["GSM-7", "UCS-2"]:
    return sms_length(text).encoding


def sms_segments(text: str) -> int:
    return sms_length(text).segments


# -- messages ----------------------------------------------------------------------------------------------

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def require_e164(number: str) -> str:
    """``number`` when it is a valid number written in E.164 (``+33612345678``); ValueError otherwise."""
    import phonenumbers

    if not _E164.fullmatch(number):
        raise ValueError(f"{number!r} is not a phone number in E.164 form such as +33612345678")
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{number!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{number!r} is not a valid phone number")
    return number


def _require_reference(reference: str) -> None:
    if not reference or len(reference) > 255 or not reference.isprintable():
        raise ValueError("a message's reference is 1 to 255 printable characters")


@dataclass(frozen=True)
class SmsMessage:
    """One SMS to ``to`` (E.164). ``reference``: the caller's id for it, the provider's idempotency key."""

    to: str
    text: str
    reference: str

    def __post_init__(self) -> None:
        require_e164(self.to)
        if not self.text:
            raise ValueError("an SMS needs a text")
        _require_reference(self.reference)

    def as_json(self) -> dict[str, Any]:
        length = sms_length(self.text)
        return {
            "to": self.to,
            "text": self.text,
            "reference": self.reference,
            "encoding": length.encoding,
            "segments": length.segments,
        }


@dataclass(frozen=True)
class PushMessage:
    """One notification to a device's ``token``; ``data`` (JSON values) goes to the app with it."""

    token: str
    title: str
    body: str
    data: Mapping[str, Any]
    reference: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", dict(self.data))  # the caller's dict may change afterwards
        if not self.token or len(self.token) > 4096 or any(c.isspace() for c in self.token):
            raise ValueError("a push token is 1 to 4096 characters without spaces")
        if not (self.title or self.body):
            raise ValueError("a push notification needs a title or a body")
        try:
            json.dumps(dict(self.data))
        except (TypeError, ValueError):
            raise ValueError("a push notification's data must be JSON values") from None
        _require_reference(self.reference)

    def as_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "title": self.title,
            "body": self.body,
            "data": dict(self.data),
            "reference": self.reference,
        }


class SmsSender(Protocol):
    def send(self, message: SmsMessage) -> Delivery:
        """Hand one SMS to the provider; raises a :class:`DeliveryFailure` when it is not taken."""
        ...


class PushSender(Protocol):
    def send(self, message: PushMessage) -> Delivery:
        """Hand one notification to the provider; raises a :class:`DeliveryFailure` when it is not taken."""
        ...


# -- the HTTP connector ------------------------------------------------------------------------------------

# Statuses that say our request is wrong rather than the address: credentials, URL, method, proxy.
_CONFIGURATION_STATUSES = frozenset({401, 403, 404, 405, 407, 415})
# 408 and 429 ask to come back later; 409 and 425: the same Idempotency-Key is still being processed.
_RETRY_STATUSES = frozenset({408, 409, 425, 429})
_TOO_LARGE_STATUSES = frozenset({413, 414})
_ID_KEYS = ("id", "message_id", "messageId", "sid", "name")


class _HttpConnector:
    """POSTs a message as JSON to the provider's gateway, with ``Authorization: Bearer <token>`` and
    ``Idempotency-Key: <reference>``; 2xx is taken (``queued`` for 202), its JSON answer's ``id`` being
    the provider's id. Answers and errors map to the :class:`DeliveryFailure` classes."""

    channel: ClassVar[str]

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        self.url = url
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def close(self) -> None:
        self._client.close()

    def _post(self, payload: dict[str, Any], reference: str) -> Delivery:
        import httpx

        try:
            response = self._client.post(self.url, json=payload, headers={"Idempotency-Key": reference})
        except httpx.TimeoutException as exc:
            raise TransientFailure(f"{self.channel} provider did not answer in time: {exc!r}") from exc
        except httpx.RequestError as exc:
            raise TransientFailure(f"{self.channel} provider unreachable: {exc!r}") from exc
        return _outcome(self.channel, response)


def _outcome(channel: str, response: httpx.Response) -> Delivery:
    status = response.status_code
    if 200 <= status < 300:
        answer = _json(response)
        queued = status == 202 or answer.get("status") == "queued"
        return Delivery(_provider_id(answer), "queued" if queued else "sent")
    excerpt = " ".join(response.text[:300].split())
    detail = f"{channel} provider answered {status}: {excerpt}".rstrip(": ")
    if status in _RETRY_STATUSES or status >= 500:
        raise TransientFailure(
            detail, code=status, retry_after=retry_after(response.headers.get("Retry-After"))
        )
    if status < 400 or status in _CONFIGURATION_STATUSES:
        raise ConfigurationFailure(detail, code=status)
    if status in _TOO_LARGE_STATUSES:
        raise MessageRefused(detail, code=status)
    raise PermanentFailure(detail, code=status)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _provider_id(answer: Mapping[str, Any]) -> str | None:
    for key in _ID_KEYS:
        value = answer.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - clock.now()).total_seconds())


class HttpSmsSender(_HttpConnector):
    """Posts ``{"to", "text", "reference", "encoding", "segments"}``."""

    channel = "sms"

    def send(self, message: SmsMessage) -> Delivery:
        return self._post(message.as_json(), message.reference)


class HttpPushSender(_HttpConnector):
    """Posts ``{"token", "title", "body", "data", "reference"}``."""

    channel = "push"

    def send(self, message: PushMessage) -> Delivery:
        return self._post(message.as_json(), message.reference)


# -- the sandbox -------------------------------------------------------------------------------------------


class _Sandbox:
    """Development transport: each message becomes one JSON line of ``<dir>/<YYYY-MM-DD>.jsonl``."""

    channel: ClassVar[str]

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, payload: dict[str, Any]) -> Delivery:
        now = clock.now()
        provider_id = new_id(self.channel)
        line = json.dumps({"id": provider_id, "at": now.isoformat(), **payload}, ensure_ascii=False) + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # One write on a file opened to append: lines of concurrent processes do not interleave.
            fd = os.open(
                self.directory / f"{now:%Y-%m-%d}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
            )
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            raise TransientFailure(f"{self.channel} sandbox not written: {exc}") from exc
        return Delivery(provider_id, "sent")


class SandboxSmsSender(_Sandbox):
    channel = "sms"

    def send(self, message: SmsMessage) -> Delivery:
        return self._write(message.as_json())


class SandboxPushSender(_Sandbox):
    channel = "push"

    def send(self, message: PushMessage) -> Delivery:
        return self._write(message.as_json())


# -- from the settings -------------------------------------------------------------------------------------

SANDBOX_SCHEME = "sandbox://"


def sms_sender_from_settings(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> SmsSender:
    if settings.sms_url.startswith(SANDBOX_SCHEME):
        return SandboxSmsSender(Path(settings.sms_url[len(SANDBOX_SCHEME) :]))
    return HttpSmsSender(
        settings.sms_url,
        settings.sms_token or "",
        timeout=settings.messaging_timeout_seconds,
        transport=transport,
    )


def push_sender_from_settings(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> PushSender:
    if settings.push_url.startswith(SANDBOX_SCHEME):
        return SandboxPushSender(Path(settings.push_url[len(SANDBOX_SCHEME) :]))
    return HttpPushSender(
        settings.push_url,
        settings.push_token or "",
        timeout=settings.messaging_timeout_seconds,
        transport=transport,
    )
