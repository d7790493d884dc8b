"""The ASGI application ``comptoir serve`` runs: ``uvicorn --factory comptoir.asgi:create_app_from_env``.

This module imports nothing of the application, so that importing it and assembling it all happen
with the cyclic garbage collector paused (:func:`comptoir.core.startup.collector_paused`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comptoir.core.startup import collector_paused

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app_from_env() -> FastAPI:
    """The application configured from the environment (``COMPTOIR_*``), as each API process builds it."""
    with collector_paused():
        from comptoir.app import create_app_from_env as build

        return build()
