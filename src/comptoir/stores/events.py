"""Facts the stores domain publishes.

``stores.place_created`` and ``stores.place_changed`` carry a full public snapshot of the place (the
fields of :class:`comptoir.stores.schemas.PlaceSnapshot`), so other domains keep their own read model of
places for hot paths instead of calling this domain per request.

``stores.published_to_<channel>`` is one event per place and per channel with the rendered payload in
that channel's shape; channel connectors (webhook subscribers by default) apply it and confirm with
``POST /v1/stores/channels/{channel}/confirmations``.
"""

from typing import Any, ClassVar

from comptoir.core.events import DomainEvent


class _PlaceSnapshotEvent(DomainEvent):
    place_id: str
    code: str
    kind: str
    name: str
    status: str
    services: list[str]
    latitude: float
    longitude: float
    postcode: str
    locality: str
    region: str
    department: str | None
    country: str
    timezone: str
    phone: str | None
    email: str | None
    weekly_hours: str
    reserved_hours: str
    special_days: str
    version: int


class PlaceCreated(_PlaceSnapshotEvent):
    event_type: ClassVar[str] = "stores.place_created"


class PlaceChanged(_PlaceSnapshotEvent):
    event_type: ClassVar[str] = "stores.place_changed"
    changed: list[str]
    status_reason: str = ""


class _Published(DomainEvent):
    place_id: str
    store_code: str
    channel: str
    place_version: int
    payload_hash: str
    payload: dict[str, Any]


class PublishedToLocator(_Published):
    event_type: ClassVar[str] = "stores.published_to_locator"


class PublishedToJsonLd(_Published):
    event_type: ClassVar[str] = "stores.published_to_jsonld"


class PublishedToGbp(_Published):
    event_type: ClassVar[str] = "stores.published_to_gbp"


class PublishedToCsv(_Published):
    event_type: ClassVar[str] = "stores.published_to_csv"


PUBLISHED_EVENTS: dict[str, type[_Published]] = {
    "locator": PublishedToLocator,
    "jsonld": PublishedToJsonLd,
    "gbp": PublishedToGbp,
    "csv": PublishedToCsv,
}


class PublicationFailed(DomainEvent):
    """A channel connector reported that it could not apply a publication."""

    event_type: ClassVar[str] = "stores.publication_failed"
    place_id: str
    store_code: str
    channel: str
    payload_hash: str
    error: str


class PlacesImported(DomainEvent):
    event_type: ClassVar[str] = "stores.places_imported"
    created: int
    updated: int
    errors: int
