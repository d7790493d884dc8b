"""catalog: an asset's bytes for an app's page (the seller's tablet shows product photos to signed-in
staff), under the same rights as the media API."""

from __future__ import annotations

from collections.abc import Iterator

from comptoir.catalog.assets import deliverable_file
from comptoir.catalog.storage import iter_file, storage_for
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def open_asset(
    uow: UnitOfWork, settings: Settings, asset_id: str, rendition: str | None, *, channel: str, territory: str
) -> tuple[Iterator[bytes], str]:
    """(the file's chunks, its media type) of an asset or one of its renditions, if its rights allow it on
    ``channel`` in ``territory`` now (403 otherwise); 404 when the file is missing."""
    found = deliverable_file(uow, asset_id, rendition, channel=channel, territory=territory)
    storage = storage_for(settings)
    if not storage.exists(found.storage_key):
        raise NotFound("The file is missing from storage.", slug="asset-file-missing")
    return iter_file(storage.open(found.storage_key)), found.content_type
