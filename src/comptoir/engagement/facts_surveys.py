"""engagement: what the messages of surveys (NPS and CSAT after an order, an appointment…) are written from, read when they are sent."""

from __future__ import annotations

from comptoir.engagement.mail_types import Loader

LOADERS: dict[str, Loader] = {}
