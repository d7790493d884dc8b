"""loyalty: pure rules, no I/O."""

from __future__ import annotations
