"""Identifiers: a short type prefix and a UUIDv7, so ids sort by creation time and say what they name."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """RFC 9562 UUID version 7: 48-bit Unix milliseconds, then a counter and random bits.

    Ids made in one process within the same millisecond stay ordered (monotonic counter in rand_a).
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = 0
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)


def new_id(prefix: str) -> str:
    """``new_id("ord")`` -> ``"ord_0192f3c1a2b47c3e8d1f5a6b7c8d9e0f"`` (time-ordered)."""
    return f"{prefix}_{uuid7().hex}"
