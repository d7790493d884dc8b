"""engagement: the built-in journeys of surveys (NPS and CSAT after an order, an appointment…), and the events they follow."""

from __future__ import annotations

from comptoir.core.events import DomainEvent
from comptoir.engagement.schemas import JourneyDefinition

DEFINITIONS: tuple[JourneyDefinition, ...] = ()
EVENT_CLASSES: tuple[type[DomainEvent], ...] = ()
