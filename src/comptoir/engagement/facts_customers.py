"""engagement: what the messages of the customer's life: welcome, new loyalty tier, birthday, the e-receipt are written from, read when they are sent."""

from __future__ import annotations

from comptoir.engagement.mail_types import Loader

LOADERS: dict[str, Loader] = {}
