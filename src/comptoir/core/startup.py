"""Process start-up: the long-lived objects are built without the cyclic garbage collector.

Building the application (importing the domains, mapping the tables, making the schemas and routes)
allocates a couple of hundred thousand objects that live as long as the process. While they are
made, the cyclic collector would walk them again and again, a few times in full; under
:func:`collector_paused` it stays off, then they are frozen (``gc.freeze()``: later collections skip
them, so they cost the serving process nothing either) and the collector is turned back on. The few
thousand cyclic garbage objects made during start-up are kept with them: a full collection to free
them would cost what the pause saves.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Build a process's long-lived objects inside this block (API and worker entry points)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
