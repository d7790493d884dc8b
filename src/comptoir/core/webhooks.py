"""Webhook subscriptions, Standard Webhooks signatures, and the delivery log.

Each delivery is signed like https://www.standardwebhooks.com: headers ``webhook-id`` (the event
id, stable across retries, so receivers de-duplicate), ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the subscription's
``whsec_`` secret.

Targets are checked against server-side request forgery (:class:`TargetGuard`): loopback, private,
link-local, multicast, unspecified and reserved addresses (IPv4 and IPv6, IPv4 embedded in IPv6, and
IPv4 written as one integer, in hexadecimal or octal) are refused when subscribing and again at each
delivery, after resolving the host name; the delivery then connects to the address that was checked.
``COMPTOIR_WEBHOOK_ALLOWED_NETWORKS`` lists networks allowed anyway (development: ``127.0.0.0/8``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlparse

from pydantic import Field, field_validator
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import InvalidInput, check_version, not_found
from comptoir.core.events import EVENT_TYPES
from comptoir.core.ids import new_id
from comptoir.core.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from comptoir.core.pagination import Page, keyset_page, paginate
from comptoir.core.settings import Settings
from comptoir.core.types import Omittable, Schema
from comptoir.core.uow import UnitOfWork

if TYPE_CHECKING:
    import httpx

# -- signatures -----------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance_seconds: int = 300) -> bool:
    """What a receiver does: recompute the signature and check the timestamp is recent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, ts = lowered.get("webhook-id", ""), lowered.get("webhook-timestamp", "")
    if not msg_id or not ts.isdigit():
        return False
    if abs(int(clock.now().timestamp()) - int(ts)) > tolerance_seconds:
        return False
    expected = sign(secret, msg_id, int(ts), body).split(",", 1)[1]
    for candidate in lowered.get("webhook-signature", "").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


def type_matches(patterns: list[str], event_type: str) -> bool:
    """``*`` matches everything, ``orders.*`` a whole domain, otherwise exact names."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


# -- targets: no server-side request forgery --------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to (``getaddrinfo`` in production; tests inject their own).
Resolver = Callable[[str, int], list[str]]

_FORBIDDEN = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
]  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_NUMERIC = re.compile(r"^(0[xX][0-9a-fA-F]+|[0-9]+)(\.(0[xX][0-9a-fA-F]+|[0-9]+)){0,3}$")

REFUSED = "refused: the target address is not allowed"
UNREACHABLE = "could not connect"


class TargetRefused(Exception):
    """The target resolves to an address webhooks may not reach (one message, no detail)."""


class TargetUnreachable(Exception):
    """The target's host name does not resolve."""


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for, in every form a resolver accepts:
    ``127.0.0.1``, ``2130706433``, ``0x7f000001``, ``0177.1``, ``[::ffff:127.0.0.1]``, ``fe80::1%eth0``."""
    text = unquote(host).strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _IPV4_NUMERIC.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class TargetGuard:
    """Decides which addresses webhooks may reach, and pins each delivery to a checked address."""

    def __init__(self, allowed_networks: Iterable[str] = (), resolver: Resolver = system_resolver) -> None:
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
        self.resolver = resolver

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver = system_resolver) -> TargetGuard:
        return cls(settings.webhook_allowed_networks, resolver)

    def allows(self, ip: IPAddress) -> bool:
        embedded = _embedded_ipv4(ip)
        if any(ip in net or (embedded is not None and embedded in net) for net in self.allowed):
            return True
        if embedded is not None:
            return self.allows(embedded)
        return ip.is_global and not ip.is_multicast and not any(ip in net for net in _FORBIDDEN)

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` stands for, all allowed; raises :class:`TargetRefused` if one is not."""
        literal = literal_address(host)
        if literal is not None:
            found: list[IPAddress] = [literal]
        else:
            try:
                found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
            except (OSError, UnicodeError, ValueError) as exc:
                raise TargetUnreachable() from exc
            if not found:
                raise TargetUnreachable()
        if not all(self.allows(ip) for ip in found):
            raise TargetRefused()
        return found

    def check_subscription(self, url: str) -> None:
        """A 422 naming ``url`` when it points at a refused address (a name that does not resolve yet
        is accepted: each delivery checks again)."""
        import httpx

        parsed = httpx.URL(url)
        try:
            self.addresses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
        except TargetRefused:
            raise InvalidInput(
                "Webhooks may not target loopback, private, link-local, multicast or reserved addresses.",
                field="url",
                slug="webhook-target-refused",
            ) from None
        except TargetUnreachable:
            pass

    def pinned_request(
        self, client: httpx.Client, url: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Request:
        """The POST to ``url``, addressed to a checked address of its host (no second resolution): the
        ``Host`` header and the TLS server name keep the host name, so certificates are verified as usual."""
        import httpx

        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        ip = self.addresses(parsed.host, port)[0]
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        return client.build_request(
            "POST",
            parsed.copy_with(host=str(ip)),
            content=body,
            headers={**headers, "host": parsed.netloc.decode("ascii")},
            extensions=extensions,
        )


# -- schemas --------------------------------------------------------------------------------------


class SubscriptionIn(Schema):
    url: str = Field(max_length=2048, description="HTTPS (or HTTP) endpoint that receives POSTs")
    event_types: list[str] = Field(default=["*"], min_length=1, description='"*", "orders.*" or exact types')
    description: str = Field(default="", max_length=500)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an absolute http(s) URL")
        import httpx

        try:
            httpx.URL(value)  # what deliveries will parse (it refuses some forms urlparse accepts)
        except httpx.InvalidURL as exc:
            raise ValueError(f"must be a valid http(s) URL: {exc}") from None
        return value

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if pattern == "*" or pattern.endswith(".*"):
                continue
            if pattern not in EVENT_TYPES:
                raise ValueError(f"unknown event type {pattern!r}")
        return value


class SubscriptionPatch(Schema):
    """Only the fields given change; none of them may be null."""

    url: Omittable[str] = None
    event_types: Omittable[list[str]] = None
    description: Omittable[str] = None
    active: Omittable[bool] = None

    _check_url = field_validator("url")(lambda cls, v: v if v is None else SubscriptionIn._url(v))
    _check_types = field_validator("event_types")(lambda cls, v: v if v is None else SubscriptionIn._types(v))


class SubscriptionOut(Schema):
    id: str
    url: str
    event_types: list[str]
    description: str
    active: bool
    version: int
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="Signing secret (whsec_…). Shown once: store it to verify signatures.")


class AttemptOut(Schema):
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryOut(Schema):
    id: int
    subscription_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "dead"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptOut] = []


class EventOut(Schema):
    seq: int
    id: str
    type: str
    occurred_at: datetime
    channel: str | None
    api_key_id: str | None
    data: dict[str, object]


# -- service ---------------------------------------------------------------------------------------


def _sub_out(row: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        url=row.url,
        event_types=list(row.event_types),
        description=row.description,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
    )


def create_subscription(
    uow: UnitOfWork, command: SubscriptionIn, *, guard: TargetGuard
) -> SubscriptionCreated:
    guard.check_subscription(command.url)  # before any statement: no lock held while it resolves
    row = WebhookSubscription(
        id=new_id("whs"),
        url=command.url,
        description=command.description,
        secret=new_secret(),
        event_types=command.event_types,
        active=True,
    )
    uow.session.add(row)
    uow.session.flush()
    return SubscriptionCreated(**_sub_out(row).model_dump(), secret=row.secret)


def _get_subscription(uow: UnitOfWork, subscription_id: str) -> WebhookSubscription:
    row = uow.session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise not_found("Webhook subscription", subscription_id)
    return row


def get_subscription(uow: UnitOfWork, subscription_id: str) -> SubscriptionOut:
    return _sub_out(_get_subscription(uow, subscription_id))


def list_subscriptions(uow: UnitOfWork, *, cursor: str | None, limit: int) -> Page[SubscriptionOut]:
    return paginate(
        uow.session,
        select(WebhookSubscription),
        WebhookSubscription.id,
        cursor=cursor,
        limit=limit,
        convert=_sub_out,
    )


def update_subscription(
    uow: UnitOfWork,
    subscription_id: str,
    patch: SubscriptionPatch,
    *,
    expected_version: int | None,
    guard: TargetGuard,
) -> SubscriptionOut:
    if patch.url is not None:  # before any statement: no lock is held while the name resolves
        guard.check_subscription(patch.url)
    row = _get_subscription(uow, subscription_id)
    check_version(row.version, expected_version)
    for field, value in patch.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
        setattr(row, field, value)
    uow.session.flush()
    return _sub_out(row)


def delete_subscription(uow: UnitOfWork, subscription_id: str, *, expected_version: int | None) -> None:
    row = _get_subscription(uow, subscription_id)
    check_version(row.version, expected_version)
    uow.session.delete(row)


def _delivery_out(
    d: WebhookDelivery, event: OutboxEvent, attempts: list[WebhookAttempt] | None = None
) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        subscription_id=d.subscription_id,
        event_id=event.event_id,
        event_type=event.type,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        history=[
            AttemptOut(
                attempt=a.attempt,
                started_at=a.started_at,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
            )
            for a in attempts or []
        ],
    )


def list_deliveries(
    uow: UnitOfWork,
    *,
    subscription_id: str | None,
    status: str | None,
    event_id: str | None,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryOut]:
    stmt = select(WebhookDelivery)
    if subscription_id:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_id:
        stmt = stmt.where(
            WebhookDelivery.event_seq
            == select(OutboxEvent.seq).where(OutboxEvent.event_id == event_id).scalar_subquery()
        )
    rows, next_cursor = keyset_page(
        uow.session, stmt, WebhookDelivery.id, cursor=cursor, limit=limit, descending=True, key_type=int
    )
    seqs = {d.event_seq for d in rows}
    events = {e.seq: e for e in uow.session.scalars(select(OutboxEvent).where(OutboxEvent.seq.in_(seqs)))}
    return Page[DeliveryOut](
        items=[_delivery_out(d, events[d.event_seq]) for d in rows], next_cursor=next_cursor
    )


def get_delivery(uow: UnitOfWork, delivery_id: int) -> DeliveryOut:
    d = uow.session.get(WebhookDelivery, delivery_id)
    if d is None:
        raise not_found("Webhook delivery", delivery_id)
    event = uow.session.get_one(OutboxEvent, d.event_seq)
    attempts = list(
        uow.session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == d.id).order_by(WebhookAttempt.attempt)
        )
    )
    return _delivery_out(d, event, attempts)


def retry_delivery(uow: UnitOfWork, delivery_id: int) -> DeliveryOut:
    """Put a dead-lettered (or failing) delivery back in the queue now."""
    d = uow.session.get(WebhookDelivery, delivery_id)
    if d is None:
        raise not_found("Webhook delivery", delivery_id)
    if d.status != "succeeded":
        d.status = "pending"
        d.next_attempt_at = clock.now()
        d.lease_until = None
        uow.session.flush()
    return get_delivery(uow, delivery_id)


def _event_out(e: OutboxEvent) -> EventOut:
    return EventOut(
        seq=e.seq,
        id=e.event_id,
        type=e.type,
        occurred_at=e.occurred_at,
        channel=e.channel,
        api_key_id=e.api_key_id,
        data=e.payload,
    )


def list_events(
    uow: UnitOfWork, *, type_prefix: str | None, cursor: str | None, limit: int
) -> Page[EventOut]:
    stmt = select(OutboxEvent)
    if type_prefix:
        stmt = stmt.where(OutboxEvent.type.startswith(type_prefix))
    return paginate(
        uow.session, stmt, OutboxEvent.seq, cursor=cursor, limit=limit, convert=_event_out, key_type=int
    )
