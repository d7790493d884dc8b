"""The stores domain's operations — and its public interface for other domains.

Other domains call (all return schemas from :mod:`comptoir.stores.schemas`):

* ``get_place(uow, place_id) -> PlaceOut`` and ``get_places(uow, ids) -> dict[str, PlaceOut]``;
* ``list_places(uow, kind=, service=, status=, region=, department=, cursor=, limit=) -> Page[PlaceOut]``;
* ``nearest_places(uow, lat=, lon= | postcode=, service=, open_at=, kinds=, limit=) -> list[NearbyPlace]``;
* ``opening_status(uow, place_ids, at) -> dict[str, OpeningStatus]`` (one query, no ORM);
* ``open_windows(uow, place_ids, first_day, last_day, audience=) -> dict[str, OpenWindows]`` (UTC
  opening intervals over local days, for booking engines; one query);
* ``opening_from_snapshot(snapshot, at) -> OpeningStatus`` (from a ``stores.place_*`` event alone);
* ``geocode_postcode(uow_or_none, postcode) -> (lat, lon) | None`` (French postcodes, offline).

Every change records ``stores.place_created``/``stores.place_changed`` with a full snapshot and one
``stores.published_to_<channel>`` per channel (see :mod:`comptoir.stores.publishing`).

The work is done in ``places`` (reading), ``changes`` (writing), ``opening`` (hours questions) and
``nearby`` (geography); this module is the domain's public surface, in one place.
"""

from __future__ import annotations

from comptoir.stores.changes import (
    DEFAULT_TIMEZONE,
    ID_PREFIX,
    apply_hours,
    apply_special_days,
    apply_status,
    create_place,
    delete_special_day,
    set_hours,
    set_special_days,
    set_status,
    update_place,
    upsert_place,
)
from comptoir.stores.nearby import geocode_postcode, nearest, nearest_places
from comptoir.stores.opening import open_windows, opening, opening_from_snapshot, opening_status, week
from comptoir.stores.places import all_places, get_place, get_places, list_places, snapshot, to_out
from comptoir.stores.policies import overseas_timezone

__all__ = [
    "DEFAULT_TIMEZONE",
    "ID_PREFIX",
    "all_places",
    "apply_hours",
    "apply_special_days",
    "apply_status",
    "create_place",
    "delete_special_day",
    "geocode_postcode",
    "get_place",
    "get_places",
    "list_places",
    "nearest",
    "nearest_places",
    "open_windows",
    "opening",
    "opening_from_snapshot",
    "opening_status",
    "overseas_timezone",
    "set_hours",
    "set_special_days",
    "set_status",
    "snapshot",
    "to_out",
    "update_place",
    "upsert_place",
    "week",
]

# For the back office (appended): bulk changes and the channel audit.
from comptoir.stores.audit import audit
from comptoir.stores.bulk import bulk_special_days, bulk_status

__all__ += ["audit", "bulk_special_days", "bulk_status"]
