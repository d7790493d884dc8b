"""returns: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from typing import Any

from comptoir.core.uow import UnitOfWork


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view."""
    return {}
