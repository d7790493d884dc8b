"""Where clients fetch asset files: one address per file and rendition, rights checked on every request."""

from __future__ import annotations

MEDIA_PREFIX = "/v1/catalog/media"


def media_url(asset_id: str, rendition: str | None = None) -> str:
    """``/v1/catalog/media/<asset id>`` (the original) or ``…/<asset id>/<rendition>``."""
    return f"{MEDIA_PREFIX}/{asset_id}/{rendition}" if rendition else f"{MEDIA_PREFIX}/{asset_id}"
