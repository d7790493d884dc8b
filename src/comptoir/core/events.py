"""Domain events: facts in the past tense with primitive fields, and the in-process bus.

An event is recorded on the unit of work (``uow.record(...)``) and written to the outbox in the same
transaction as the change it describes. The dispatcher later delivers it to every subscribed handler
(exactly once per handler) and to every matching webhook subscription (at least once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ConfigDict, Field

from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.types import Schema

if TYPE_CHECKING:
    from comptoir.core.settings import Settings
    from comptoir.core.uow import UnitOfWork

EVENT_TYPES: dict[str, type[DomainEvent]] = {}


class DomainEvent(Schema):
    """Subclasses set ``event_type = "<domain>.<fact>"``, e.g. ``"orders.order_placed"``."""

    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str] = ""
    event_id: str = Field(default_factory=lambda: new_id("evt"))
    occurred_at: datetime = Field(default_factory=clock.now)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.event_type:
            existing = EVENT_TYPES.get(cls.event_type)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {cls.event_type!r} defined twice")
            EVENT_TYPES[cls.event_type] = cls

    def data(self) -> dict[str, Any]:
        """The event's own fields as JSON-ready values (without id and time)."""
        return self.model_dump(mode="json", exclude={"event_id", "occurred_at"})


def parse_event(event_type: str, event_id: str, occurred_at: datetime, data: dict[str, Any]) -> DomainEvent:
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise LookupError(f"unknown event type {event_type!r}")
    return cls.model_validate({**data, "event_id": event_id, "occurred_at": occurred_at})


Handler = Callable[["UnitOfWork", Any], None]


class Bus:
    """Which handler reacts to which event type. Handler names are stable ids stored per delivery.

    ``settings`` are those of the process the bus runs in, for handlers that need configuration
    (where media files live, how to send mail): ``register_handlers(bus)`` binds them at subscription.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._by_type: dict[str, list[tuple[str, Handler]]] = {}
        self._by_name: dict[str, Handler] = {}

    def subscribe(self, event: type[DomainEvent] | str, handler: Handler, *, name: str | None = None) -> None:
        event_type = event if isinstance(event, str) else event.event_type
        handler_name = name or f"{handler.__module__}.{handler.__qualname__}"
        key = f"{handler_name}@{event_type}"
        if key in self._by_name:
            raise ValueError(f"handler {key!r} subscribed twice")
        self._by_name[key] = handler
        self._by_type.setdefault(event_type, []).append((key, handler))

    def handler_names_for(self, event_type: str) -> list[str]:
        return [name for name, _ in self._by_type.get(event_type, [])]

    def handler(self, name: str) -> Handler | None:
        return self._by_name.get(name)

    @property
    def handler_names(self) -> list[str]:
        return list(self._by_name)
