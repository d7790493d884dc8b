"""engagement: the built-in journeys of the customer's life: welcome, new loyalty tier, birthday, the e-receipt, and the events they follow."""

from __future__ import annotations

from comptoir.core.events import DomainEvent
from comptoir.engagement.schemas import JourneyDefinition

DEFINITIONS: tuple[JourneyDefinition, ...] = ()
EVENT_CLASSES: tuple[type[DomainEvent], ...] = ()
