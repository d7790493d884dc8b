"""HTTP API of the stores domain (thin: parse, call the service, shape the response)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import PlainTextResponse

from comptoir.core import clock
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import InvalidInput
from comptoir.core.pagination import Page
from comptoir.core.types import AwareDatetime, BoundedDate
from comptoir.stores import audit as audit_service
from comptoir.stores import bulk, channels, publishing, service
from comptoir.stores.schemas import (
    Audience,
    AuditOut,
    BulkHoursIn,
    BulkOut,
    BulkSpecialDaysIn,
    BulkStatusIn,
    Channel,
    CloseIn,
    ConfirmationResult,
    ConfirmationsIn,
    HoursIn,
    ImportReport,
    Kind,
    NearestOut,
    OpeningOut,
    OpeningStatus,
    PlaceIn,
    PlaceOut,
    PlacePatch,
    PublicationOut,
    Service,
    SnapshotItem,
    SnapshotsIn,
    SnapshotsOut,
    SpecialDayIn,
    Status,
    WeekOut,
)

router = APIRouter(prefix="/v1/stores", tags=["stores"], responses=PROBLEM_RESPONSES)
# Store information is for everyone with a key; a shop (its key, its manager) keeps its own hours and
# closures; places are created, closed in bulk, imported and published to channels by the retailer.
Reader = Annotated[
    RequestContext, Depends(allow("stores", "read", "publishable", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("stores", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("stores", "write", "staff", "shop", "secret"))]
RetailerWriter = Annotated[
    RequestContext, Depends(allow("stores", "write", "staff", "secret", retailer_wide=True))
]
Limit = Annotated[int, Query(ge=1, le=200)]


def _with_etag(response: Response, out: PlaceOut) -> PlaceOut:
    response.headers["ETag"] = etag(out.version)
    return out


# -- places ---------------------------------------------------------------------------------------------------


@router.post("/places", status_code=201, summary="Create a store, warehouse or pickup point")
def create_place(body: PlaceIn, ctx: RetailerWriter, response: Response) -> PlaceOut:
    with ctx.uow() as uow:
        out = service.create_place(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/stores/places/{out.id}"
    return _with_etag(response, out)


@router.get("/places", summary="List places (filter by kind, service, status, region, department)")
def list_places(
    ctx: Reader,
    kind: Kind | None = None,
    service_: Annotated[Service | None, Query(alias="service")] = None,
    status: Status | None = None,
    region: str | None = None,
    department: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[PlaceOut]:
    with ctx.reader() as uow:
        return service.list_places(
            uow,
            kind=kind,
            service=service_,
            status=status,
            region=region,
            department=department,
            cursor=cursor,
            limit=limit,
        )


@router.get("/places/{place_id}", summary="One place (ETag = its version)")
def get_place(place_id: str, ctx: Reader, response: Response) -> PlaceOut:
    with ctx.reader() as uow:
        return _with_etag(response, service.get_place(uow, place_id))


@router.patch("/places/{place_id}", summary="Change a place's details (send If-Match)")
def update_place(
    place_id: str, body: PlacePatch, ctx: Writer, version: IfMatch, response: Response
) -> PlaceOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.update_place(uow, place_id, body, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.put("/places/{place_id}/hours", summary="Replace the weekly and reserved hours")
def set_hours(place_id: str, body: HoursIn, ctx: Writer, version: IfMatch, response: Response) -> PlaceOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.set_hours(uow, place_id, body, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.post(
    "/places/{place_id}/special-days",
    summary="Add or replace exceptional days (holidays, strikes, lockdown, other hours) by date",
)
def set_special_days(
    place_id: str, body: list[SpecialDayIn], ctx: Writer, version: IfMatch, response: Response
) -> PlaceOut:
    ctx.own_shop(place_id)
    if not body:
        raise InvalidInput("Give at least one day.", field="0")
    with ctx.uow() as uow:
        out = service.set_special_days(uow, place_id, body, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.delete("/places/{place_id}/special-days/{day}", summary="Remove an exceptional day")
def delete_special_day(
    place_id: str, day: BoundedDate, ctx: Writer, version: IfMatch, response: Response
) -> PlaceOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.delete_special_day(uow, place_id, day, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.post("/places/{place_id}/close", summary="Close a place temporarily or permanently")
def close_place(place_id: str, body: CloseIn, ctx: Writer, version: IfMatch, response: Response) -> PlaceOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.set_status(uow, place_id, body, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.post("/places/{place_id}/reopen", summary="Reopen a closed place")
def reopen_place(place_id: str, ctx: Writer, version: IfMatch, response: Response) -> PlaceOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.set_status(uow, place_id, None, expected_version=version)
        uow.commit()
    return _with_etag(response, out)


@router.get(
    "/places/{place_id}/opening", summary="Is it open at a time (default now)? When does it open or close?"
)
def opening(
    place_id: str, ctx: Reader, at: AwareDatetime | None = None, audience: Audience | None = None
) -> OpeningOut:
    with ctx.reader() as uow:
        return service.opening(uow, place_id, at, audience)


@router.get("/places/{place_id}/week", summary="The hours of the week containing a date (default today)")
def week(
    place_id: str, ctx: Reader, day: Annotated[BoundedDate | None, Query(alias="date")] = None
) -> WeekOut:
    with ctx.reader() as uow:
        return service.week(uow, place_id, day)


@router.get("/places/{place_id}/publications", summary="Sync status of the place on each channel")
def place_publications(place_id: str, ctx: StaffReader) -> list[PublicationOut]:
    with ctx.reader() as uow:
        service.get_place(uow, place_id)
        return publishing.publications_of(uow, place_id)


@router.get(
    "/places/{place_id}/render/{channel}",
    summary="The place rendered for a channel now (schema.org JSON-LD, GBP payload, locator, CSV row)",
)
def render(place_id: str, channel: Channel, ctx: StaffReader) -> dict[str, Any]:
    with ctx.reader() as uow:
        place = service.get_place(uow, place_id)
    return channels.render(channel, place, publishing.local_today(place, clock.now()))


@router.get("/opening-status", summary="Open now, next opening and closing time of many places at once")
def opening_status(
    ctx: Reader,
    ids: Annotated[str, Query(description="Comma-separated place ids", max_length=20000)],
    at: AwareDatetime | None = None,
    audience: Audience | None = None,
) -> dict[str, OpeningStatus]:
    with ctx.reader() as uow:
        return service.opening_status(uow, [i for i in ids.split(",") if i], at, audience=audience)


@router.get("/nearest", summary="Nearest places to a point or a French postcode, by service and open status")
def nearest(
    ctx: Reader,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    service_: Annotated[Service | None, Query(alias="service")] = None,
    open_at: Annotated[AwareDatetime | None, Query(description="Only places open at this time")] = None,
    kind: Annotated[list[Kind] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    max_km: Annotated[float | None, Query(gt=0, le=20000)] = None,
) -> NearestOut:
    if (lat is None) != (lon is None):
        raise InvalidInput(
            "Give both lat and lon.",
            errors=[{"parameter": "lon" if lon is None else "lat", "in": "query", "detail": "missing"}],
        )
    with ctx.reader() as uow:
        return service.nearest(
            uow,
            lat=lat,
            lon=lon,
            postcode=postcode,
            service=service_,
            open_at=open_at,
            kinds=kind or ["store"],
            limit=limit,
            max_km=max_km,
        )


# -- the public store locator (a channel, applied from publications) -----------------------------------------


@router.get("/locator", summary="Store locator: the published documents of every public place")
def locator(
    ctx: Reader, kind: Kind | None = None, cursor: str | None = None, limit: Limit = 50
) -> Page[dict[str, Any]]:
    with ctx.reader() as uow:
        return publishing.locator_page(uow, kind=kind, cursor=cursor, limit=limit)


@router.get("/locator/{store_code}", summary="Store locator: one published document")
def locator_entry(store_code: str, ctx: Reader) -> dict[str, Any]:
    with ctx.reader() as uow:
        return publishing.locator_entry(uow, store_code)


# -- bulk and import -------------------------------------------------------------------------------------------


@router.post(
    "/bulk/status", summary="Close or reopen many places at once (by ids, codes, region, department)"
)
def bulk_status(body: BulkStatusIn, ctx: RetailerWriter) -> BulkOut:
    with ctx.uow() as uow:
        out = bulk.bulk_status(uow, body)
        uow.commit()
    return out


@router.post("/bulk/hours", summary="Replace the weekly hours of many places at once")
def bulk_hours(body: BulkHoursIn, ctx: RetailerWriter) -> BulkOut:
    with ctx.uow() as uow:
        out = bulk.bulk_hours(uow, body)
        uow.commit()
    return out


@router.post(
    "/bulk/special-days", summary="Add exceptional days (closures, other hours) to many places at once"
)
def bulk_special_days(body: BulkSpecialDaysIn, ctx: RetailerWriter) -> BulkOut:
    with ctx.uow() as uow:
        out = bulk.bulk_special_days(uow, body)
        uow.commit()
    return out


@router.post("/import", summary="Import places from a CSV (the CSV channel's columns) or JSON Lines file")
async def import_places(ctx: RetailerWriter, file: Annotated[UploadFile, File()]) -> ImportReport:
    content = (await file.read()).decode("utf-8-sig", errors="replace")
    with ctx.uow() as uow:
        report = bulk.import_places(uow, file.filename or "upload.csv", content)
        uow.commit()
    return report


# -- channels: sync status, confirmations, snapshots, audit ----------------------------------------------------


@router.get("/channels/sync", summary="Publications per channel and sync status")
def sync_summary(ctx: StaffReader) -> dict[str, dict[str, int]]:
    with ctx.reader() as uow:
        return publishing.sync_summary(uow)


@router.get("/channels/{channel}/publications", summary="Latest publication of each place on a channel")
def channel_publications(
    channel: Channel,
    ctx: StaffReader,
    status: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[PublicationOut]:
    with ctx.reader() as uow:
        return publishing.list_publications(uow, channel, status=status, cursor=cursor, limit=limit)


@router.post(
    "/channels/{channel}/confirmations", summary="A connector reports publications applied or failed"
)
def confirm(channel: Channel, body: ConfirmationsIn, ctx: RetailerWriter) -> list[ConfirmationResult]:
    with ctx.uow() as uow:
        out = publishing.confirm(uow, channel, body)
        uow.commit()
    return out


@router.put("/channels/{channel}/snapshots", summary="Upload what a channel currently shows (its own shape)")
def put_snapshots(channel: Channel, body: SnapshotsIn, ctx: RetailerWriter) -> SnapshotsOut:
    with ctx.uow() as uow:
        out = publishing.store_snapshots(uow, channel, body)
        uow.commit()
    return out


@router.get(
    "/channels/csv/file",
    response_class=Response,
    summary="The CSV bulk file of every place",
    responses={
        200: {"description": "One row per place", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
def get_csv_file(ctx: StaffReader) -> PlainTextResponse:
    with ctx.reader() as uow:
        text = publishing.csv_file(uow)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.put(
    "/channels/csv/file",
    summary="Upload the CSV file a partner currently holds (a CSV snapshot)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def put_csv_file(request: Request, ctx: RetailerWriter) -> SnapshotsOut:
    rows = publishing.parse_csv_file((await request.body()).decode("utf-8-sig", errors="replace"))
    items = [SnapshotItem(store_code=row["store_code"], payload=row) for row in rows if row.get("store_code")]
    with ctx.uow() as uow:
        out = publishing.store_snapshots(uow, "csv", SnapshotsIn(items=items, replace_all=True))
        uow.commit()
    return out


@router.get("/audit", summary="Every contradiction between what channels show and the source of truth")
def audit(ctx: StaffReader, channel: Annotated[list[Channel] | None, Query()] = None) -> AuditOut:
    with ctx.reader() as uow:
        return audit_service.audit(uow, channel)
