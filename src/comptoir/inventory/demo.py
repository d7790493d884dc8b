"""inventory: the demo retailer's data."""

from __future__ import annotations

from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    return None
