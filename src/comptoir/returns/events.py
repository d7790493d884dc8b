"""returns: the facts this domain publishes."""

from __future__ import annotations
