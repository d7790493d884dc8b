"""inventory: reactions to other domains' events.

Places: inventory keeps its own read model of places (position, kind, services, hours) for the
availability read, from the full snapshot each ``stores.place_*`` event carries.
"""

from __future__ import annotations

from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import places
from comptoir.stores.events import PlaceChanged, PlaceCreated


def keep_place(uow: UnitOfWork, event: PlaceCreated | PlaceChanged) -> None:
    places.upsert(uow, [places.row_of(event)])


def register_handlers(bus: Bus) -> None:
    bus.subscribe(PlaceCreated, keep_place, name="inventory.keep_place")
    bus.subscribe(PlaceChanged, keep_place, name="inventory.keep_place")
