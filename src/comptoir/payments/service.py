"""payments: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations
