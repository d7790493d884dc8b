"""Digital assets: images, videos, PDFs (manuals, assembly plans) and audio, with usage rights.

The request stores the original and records ``AssetUploaded``; the worker makes the image renditions
(``make_renditions``). Delivery checks the rights on every request: period, channel and territory.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from datetime import timedelta
from pathlib import PurePath

from sqlalchemy import select

from comptoir.catalog import policies, publishing
from comptoir.catalog.events import AssetRenditionsReady, AssetUploaded
from comptoir.catalog.models import Asset, Product
from comptoir.catalog.schemas import AssetFile, AssetIn, AssetOut, AssetPatch, RightsIn
from comptoir.catalog.storage import Storage
from comptoir.core import clock
from comptoir.core.errors import Forbidden, InvalidInput, NotFound, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
RENDITION_FORMAT = ("JPEG", ".jpg", "image/jpeg")


def _asset_out(row: Asset) -> AssetOut:
    return AssetOut(
        id=row.id,
        product_id=row.product_id,
        kind=row.kind,
        role=row.role,
        title=row.title,
        colour=row.colour,
        position=row.position,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        renditions=sorted(row.renditions),
        rights=RightsIn(
            holder=row.rights_holder,
            valid_from=row.rights_valid_from,
            valid_until=row.rights_valid_until,
            channels=row.rights_channels,
            territories=row.rights_territories,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _product_id(uow: UnitOfWork, ref: str | None) -> str | None:
    if not ref:
        return None
    found = uow.session.scalar(select(Product.id).where((Product.id == ref) | (Product.code == ref)))
    if found is None:
        raise InvalidInput(f"There is no product {ref}.", field="product_id")
    return str(found)


def _apply_rights(row: Asset, rights: RightsIn) -> None:
    if rights.valid_from and rights.valid_until and rights.valid_until <= rights.valid_from:
        raise InvalidInput("The rights end after they start.", field="rights/valid_until")
    row.rights_holder = rights.holder
    row.rights_valid_from = rights.valid_from
    row.rights_valid_until = rights.valid_until
    row.rights_channels = sorted(set(rights.channels)) if rights.channels is not None else None
    row.rights_territories = rights.territories


def _check_content(kind: str, content_type: str, data: bytes) -> tuple[int | None, int | None]:
    """Refuse a file that is not what it claims; (width, height) of an image."""
    if kind == "image":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                return image.size
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise InvalidInput(f"The file is not a readable {content_type} image.", field="file") from exc
    if content_type == "application/pdf" and not data.startswith(b"%PDF-"):
        raise InvalidInput("The file is not a PDF document.", field="file")
    return None, None


def upload_asset(
    uow: UnitOfWork, storage: Storage, cmd: AssetIn, *, filename: str, content_type: str, data: bytes
) -> AssetOut:
    content_type = (content_type or "").split(";", 1)[0].strip().lower()
    if content_type in ("", "application/octet-stream"):
        content_type = mimetypes.guess_type(filename)[0] or content_type
    kind = policies.asset_kind(content_type)
    if kind is None:
        raise InvalidInput(
            f"{content_type or 'This file type'} is not accepted: send an image, a video, a PDF or audio.",
            field="file",
        )
    if not data:
        raise InvalidInput("The file is empty.", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Files are limited to {MAX_UPLOAD_BYTES // 1024 // 1024} MB.", field="file")
    width, height = _check_content(kind, content_type, data)
    asset_id = new_id("ast")
    suffix = PurePath(filename).suffix.lower()[:10] or (mimetypes.guess_extension(content_type) or "")
    row = Asset(
        id=asset_id,
        product_id=_product_id(uow, cmd.product_id),
        kind=kind,
        role=cmd.role,
        colour=cmd.colour,
        position=cmd.position,
        title=cmd.title,
        filename=PurePath(filename).name[:255] or f"{asset_id}{suffix}",
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=f"{asset_id[-2:]}/{asset_id}/original{suffix}",
        width=width,
        height=height,
        renditions={},
    )
    _apply_rights(row, cmd.rights)
    # The file first: a rolled-back upload leaves an unreferenced file, never a row without its file.
    storage.save(row.storage_key, data)
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        AssetUploaded(asset_id=row.id, kind=kind, content_type=content_type, product_id=row.product_id)
    )
    return _asset_out(row)


def _load(uow: UnitOfWork, asset_id: str) -> Asset:
    row = uow.session.get(Asset, asset_id)
    if row is None:
        raise not_found("Asset", asset_id)
    return row


def update_asset(uow: UnitOfWork, asset_id: str, cmd: AssetPatch) -> AssetOut:
    row = _load(uow, asset_id)
    before = row.product_id
    fields = cmd.model_fields_set
    if "product_id" in fields:
        row.product_id = _product_id(uow, cmd.product_id)
    for name in ("role", "title", "colour"):
        if name in fields:
            setattr(row, name, getattr(cmd, name))
    if "position" in fields and cmd.position is not None:
        row.position = cmd.position
    if "rights" in fields:
        _apply_rights(row, cmd.rights or RightsIn())
    uow.session.flush()
    # Fewer licensed images can leave a published product incomplete.
    publishing.withdraw_incomplete(uow, [p for p in {before, row.product_id} if p])
    return _asset_out(row)


def delete_asset(uow: UnitOfWork, storage: Storage, asset_id: str) -> None:
    row = _load(uow, asset_id)
    keys = [row.storage_key, *row.renditions.values()]
    product_id = row.product_id
    uow.session.delete(row)
    uow.session.flush()
    if product_id:
        publishing.withdraw_incomplete(uow, [product_id])
    for key in keys:  # after the row is gone from this transaction; a rollback keeps files
        storage.delete(key)


def get_asset(uow: UnitOfWork, asset_id: str) -> AssetOut:
    return _asset_out(_load(uow, asset_id))


def list_assets(
    uow: UnitOfWork,
    *,
    product: str | None = None,
    kind: str | None = None,
    expiring_within_days: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AssetOut]:
    """Assets by id; ``expiring_within_days`` keeps those whose rights lapse within that many days."""
    stmt = select(Asset)
    if product:
        stmt = stmt.where(Asset.product_id == _product_id(uow, product))
    if kind:
        stmt = stmt.where(Asset.kind == kind)
    if expiring_within_days is not None:
        now = clock.now()
        stmt = stmt.where(
            Asset.rights_valid_until > now,
            Asset.rights_valid_until <= now + timedelta(days=expiring_within_days),
        )
    return paginate(uow.session, stmt, Asset.id, cursor=cursor, limit=limit, convert=_asset_out)


def deliverable_file(
    uow: UnitOfWork,
    asset_id: str,
    rendition: str | None,
    *,
    channel: str | None,
    territory: str,
) -> AssetFile:
    """Where to read an asset (or one of its renditions) for ``channel`` in ``territory``.

    ``channel`` None is the back office managing assets: no rights apply. Any other caller gets 403
    naming the licence's limit when the asset's rights do not allow it now.
    """
    row = _load(uow, asset_id)
    if channel is not None:
        refusal = policies.rights_refusal(
            publishing.rights_of(row), channel_kind=channel, territory=territory, at=clock.now()
        )
        if refusal:
            raise Forbidden(f"Asset {asset_id} cannot be shown here: {refusal}.", slug="asset-rights")
    if rendition is None:
        return AssetFile(storage_key=row.storage_key, content_type=row.content_type, filename=row.filename)
    if rendition not in policies.RENDITIONS:
        raise NotFound(
            f"Renditions are {', '.join(policies.RENDITIONS)}, not {rendition}.", slug="rendition-not-found"
        )
    key = row.renditions.get(rendition)
    if key is None:
        raise NotFound(
            f"The {rendition} rendition of asset {asset_id} is not made yet.", slug="rendition-not-ready"
        )
    stem = PurePath(row.filename).stem
    return AssetFile(
        storage_key=key, content_type=RENDITION_FORMAT[2], filename=f"{stem}-{rendition}{RENDITION_FORMAT[1]}"
    )


def make_renditions(uow: UnitOfWork, storage: Storage, asset_id: str) -> list[str]:
    """Thumbnail, listing and zoom images (JPEG, never upscaled) of an image asset; [] for other kinds.

    Runs in the worker. Doing it again rewrites the same files: safe to retry.
    """
    row = uow.session.get(Asset, asset_id)
    if row is None or row.kind != "image":
        return []
    from PIL import Image, ImageOps

    with storage.open(row.storage_key) as handle, Image.open(handle) as original:
        original.load()
        image = ImageOps.exif_transpose(original)  # photos from phones stand upright
        image = image.convert("RGBA") if image.mode in ("P", "LA") else image
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        elif image.mode != "RGB":
            image = image.convert("RGB")
        made: dict[str, str] = {}
        for name, longest in policies.RENDITIONS.items():
            size = policies.rendition_size(image.width, image.height, longest)
            resized = image.resize(size, Image.Resampling.LANCZOS) if size != image.size else image
            buffer = io.BytesIO()
            resized.save(buffer, RENDITION_FORMAT[0], quality=85, optimize=True, progressive=True)
            key = f"{asset_id[-2:]}/{asset_id}/{name}{RENDITION_FORMAT[1]}"
            storage.save(key, buffer.getvalue())
            made[name] = key
    row.renditions = made
    uow.session.flush()
    uow.record(AssetRenditionsReady(asset_id=row.id, product_id=row.product_id, renditions=sorted(made)))
    return sorted(made)
