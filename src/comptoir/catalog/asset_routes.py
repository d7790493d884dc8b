"""HTTP API of the digital assets: upload, rights, listing (expiring rights), and file delivery."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from comptoir.catalog import service
from comptoir.catalog.assets import MAX_UPLOAD_BYTES
from comptoir.catalog.route_helpers import delivery_channel, territory_of
from comptoir.catalog.schemas import AssetIn, AssetOut, AssetPatch
from comptoir.catalog.storage import iter_file, storage_for
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import InvalidInput, NotFound, PayloadTooLarge
from comptoir.core.pagination import Page

router = APIRouter(prefix="/v1/catalog", tags=["catalog assets"], responses=PROBLEM_RESPONSES)

# Anyone shopping browses the catalogue with a key; staff and secret keys of the whole retailer edit it.
Reader = Annotated[
    RequestContext, Depends(allow("catalog", "read", "publishable", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("catalog", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("catalog", "write", "staff", "secret", retailer_wide=True))]
OptionalForm = Annotated[str | None, Form()]


def _split(value: str | None) -> list[str] | None:
    if value is None or not value.strip():
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@router.post(
    "/assets",
    status_code=201,
    summary="Upload an image, video, PDF or audio file with its usage rights (renditions follow)",
    responses={
        413: {
            "description": "The file is larger than allowed",
            "content": {"application/problem+json": {}},
        }
    },
)
async def upload_asset(
    ctx: Writer,
    response: Response,
    file: Annotated[UploadFile, File(description="The file; its content type decides the kind")],
    product: Annotated[str | None, Form(description="Id or code of the product it shows")] = None,
    role: OptionalForm = None,
    title: OptionalForm = None,
    colour: OptionalForm = None,
    position: Annotated[int, Form()] = 0,
    rights_holder: OptionalForm = None,
    rights_valid_from: Annotated[datetime | None, Form()] = None,
    rights_valid_until: Annotated[datetime | None, Form()] = None,
    rights_channels: Annotated[str | None, Form(description="Comma-separated, e.g. web,app")] = None,
    rights_territories: Annotated[str | None, Form(description="Comma-separated, e.g. FR,BE")] = None,
) -> AssetOut:
    try:
        command = AssetIn.model_validate(
            {
                "product_id": product,
                "role": role,
                "title": title,
                "colour": colour,
                "position": position,
                "rights": {
                    "holder": rights_holder,
                    "valid_from": rights_valid_from,
                    "valid_until": rights_valid_until,
                    "channels": _split(rights_channels),
                    "territories": _split(rights_territories),
                },
            }
        )
    except ValidationError as exc:
        errors = [
            {"pointer": "#/" + "_".join(str(p) for p in err["loc"][:2]), "detail": err["msg"]}
            for err in exc.errors()
        ]
        raise InvalidInput(
            "Invalid asset: " + ", ".join(e["pointer"] for e in errors), errors=errors
        ) from exc
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:  # before reading it all into memory
        raise PayloadTooLarge(
            f"Files are limited to {MAX_UPLOAD_BYTES // 1024 // 1024} MB.",
            errors=[{"pointer": "#/file", "detail": "too large"}],
        )
    data = await file.read()

    def store() -> AssetOut:
        with ctx.uow() as uow:
            out = service.upload_asset(
                uow,
                storage_for(ctx.settings),
                command,
                filename=file.filename or "upload",
                content_type=file.content_type or "",
                data=data,
            )
            uow.commit()
        return out

    out = await run_in_threadpool(store)
    response.headers["Location"] = f"/v1/catalog/assets/{out.id}"
    return out


@router.get("/assets", summary="Assets; `expiring_within_days` lists those whose rights lapse soon")
def list_assets(
    ctx: StaffReader,
    product: str | None = None,
    kind: Literal["image", "video", "document", "audio"] | None = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AssetOut]:
    with ctx.reader() as uow:
        return service.list_assets(
            uow,
            product=product,
            kind=kind,
            expiring_within_days=expiring_within_days,
            cursor=cursor,
            limit=limit,
        )


@router.get("/assets/{asset_id}", summary="One asset with its rights and renditions")
def get_asset(asset_id: str, ctx: StaffReader) -> AssetOut:
    with ctx.reader() as uow:
        return service.get_asset(uow, asset_id)


@router.patch("/assets/{asset_id}", summary="Change an asset: product, order, colour, rights")
def update_asset(asset_id: str, body: AssetPatch, ctx: Writer) -> AssetOut:
    with ctx.uow() as uow:
        out = service.update_asset(uow, asset_id, body)
        uow.commit()
    return out


@router.delete("/assets/{asset_id}", status_code=204, summary="Delete an asset and its files")
def delete_asset(asset_id: str, ctx: Writer) -> Response:
    with ctx.uow() as uow:
        service.delete_asset(uow, storage_for(ctx.settings), asset_id)
        uow.commit()
    return Response(status_code=204)


def _deliver(
    ctx: RequestContext, asset_id: str, rendition: str | None, channel: str | None, territory: str | None
) -> StreamingResponse:
    with ctx.reader() as uow:
        found = service.deliverable_file(
            uow,
            asset_id,
            rendition,
            channel=delivery_channel(ctx, channel),
            territory=territory_of(ctx, territory),
        )
    storage = storage_for(ctx.settings)
    if not storage.exists(found.storage_key):
        raise NotFound(f"The file of asset {asset_id} is missing from storage.", slug="asset-file-missing")
    return StreamingResponse(
        iter_file(storage.open(found.storage_key)),
        media_type=found.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{found.filename}"',
            # Rights can lapse: caches keep a copy briefly and privately.
            "Cache-Control": "private, max-age=300",
        },
    )


DELIVERY_DOC = (
    "Channel keys get only what the asset's rights allow on their channel, in `territory` (default "
    "the shop's region), now: 403 otherwise. Back-office keys may pass `channel` to check a channel."
)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/media/{asset_id}",
    summary="An asset's original file",
    description=DELIVERY_DOC,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, in the media type it was uploaded with",
            "content": {
                "image/jpeg": _BINARY,
                "image/png": _BINARY,
                "image/webp": _BINARY,
                "application/pdf": _BINARY,
            },
        }
    },
)
def media(
    asset_id: str, ctx: Reader, channel: str | None = None, territory: str | None = None
) -> StreamingResponse:
    return _deliver(ctx, asset_id, None, channel, territory)


@router.get(
    "/media/{asset_id}/{rendition}",
    summary="An image rendition: thumbnail, listing or zoom",
    description=DELIVERY_DOC,
    response_class=StreamingResponse,
    responses={200: {"description": "The rendition, a JPEG image", "content": {"image/jpeg": _BINARY}}},
)
def media_rendition(
    asset_id: str, rendition: str, ctx: Reader, channel: str | None = None, territory: str | None = None
) -> StreamingResponse:
    return _deliver(ctx, asset_id, rendition, channel, territory)
