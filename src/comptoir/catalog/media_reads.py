"""catalog: an asset's bytes for a channel's own pages (a storefront serving its product photos), under
the same usage rights as the API's media delivery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from comptoir.catalog.assets import deliverable_file
from comptoir.catalog.storage import iter_file, storage_for
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


@dataclass(frozen=True)
class MediaStream:
    chunks: Iterator[bytes]
    content_type: str
    filename: str


def open_media(
    uow: UnitOfWork,
    settings: Settings,
    asset_id: str,
    rendition: str | None,
    *,
    channel: str | None,
    territory: str,
) -> MediaStream:
    """The file of an asset (or one of its renditions) shown on ``channel`` in ``territory``: 403 when its
    rights do not allow it there now, 404 when it (or its file) does not exist."""
    found = deliverable_file(uow, asset_id, rendition, channel=channel, territory=territory)
    storage = storage_for(settings)
    if not storage.exists(found.storage_key):
        raise NotFound(f"The file of asset {asset_id} is missing from storage.", slug="asset-file-missing")
    return MediaStream(iter_file(storage.open(found.storage_key)), found.content_type, found.filename)
