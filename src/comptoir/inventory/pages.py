"""inventory: reference pages for staff."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/pages/inventory", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = []
