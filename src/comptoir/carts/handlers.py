"""carts: reactions to other domains' events."""

from __future__ import annotations

from comptoir.core.events import Bus


def register_handlers(bus: Bus) -> None:
    return None
