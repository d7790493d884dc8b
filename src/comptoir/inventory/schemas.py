"""inventory: pydantic types in and out — with service.py and events.py, the public interface."""

from __future__ import annotations
