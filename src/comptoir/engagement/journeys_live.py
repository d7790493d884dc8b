"""engagement: the built-in journey after a live video session — the report an hour later with the
products shown and recommended, and a J+30 follow-up with the recommendations — and the event it follows.

Both messages are marketing: the customer enters with the marketing opt-in (checked again when each is
due, with the pressure caps and quiet hours of every message). An anonymous visitor's session (no
customer) starts no journey.
"""

from __future__ import annotations

from comptoir.core.events import DomainEvent
from comptoir.engagement.schemas import Entry, JourneyDefinition, Localised, Step, Timing
from comptoir.live.events import SessionEnded

LIVE_SESSION = JourneyDefinition(
    code="live_session",
    name=Localised(fr="Après une session vidéo", en="After a video session"),
    trigger="live.session_ended",
    subject_field="session_id",
    purpose="marketing",
    entry=Entry(consent_required=True),
    steps=[
        Step(
            key="report",
            template="live_session_report",
            channels=["email"],
            timing=Timing(minutes=60),
            priority=40,
        ),
        Step(
            key="follow_up",
            template="live_follow_up",
            channels=["email"],
            timing=Timing(days=30, at="10:00"),
            priority=20,
            on_collision="drop",
        ),
    ],
)

DEFINITIONS = (LIVE_SESSION,)
EVENT_CLASSES: tuple[type[DomainEvent], ...] = (SessionEnded,)
