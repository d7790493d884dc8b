"""inventory: HTTP API (thin: parse, call the service, map errors).

``GET /v1/inventory/availability/nearest`` is the platform's hottest read: a ``LeanRoute`` (its one
dependency, the request context, awaited directly), its query validated by one model, one or two short
Core queries run on the event loop (no hop to the thread pool, no ORM objects), and the JSON written
by the service (no second validation of the response model).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ConfigDict, Field

from comptoir.core.api import (
    PROBLEM_RESPONSES,
    LeanRoute,
    RequestContext,
    allow,
)
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.pagination import Page
from comptoir.core.queries import query_model, query_parameters
from comptoir.core.types import AwareDatetime, Schema
from comptoir.inventory import service
from comptoir.inventory.schemas import (
    AccuracyOut,
    ConfirmIn,
    CountIn,
    CountOut,
    FulfilIn,
    MovementIn,
    MovementKind,
    MovementOut,
    NearestOut,
    NetworkAvailability,
    ReservationOut,
    ReserveIn,
    SettingsIn,
    SkuAvailability,
    StockLevelOut,
    TransferIn,
)

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=PROBLEM_RESPONSES)
# Anyone shopping reads availability; stock is moved and held by staff, shop and secret keys, each for
# its own shops (``ctx.own_shop``) when bound.
Reader = Annotated[
    RequestContext, Depends(allow("inventory", "read", "publishable", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("inventory", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("inventory", "write", "staff", "shop", "secret"))]
Sync = Annotated[RequestContext, Depends(allow("inventory", "write", "staff", "secret", retailer_wide=True))]


def _own_reservation(ctx: RequestContext, out: ReservationOut) -> ReservationOut:
    """A shop-bound caller reaches the holds on its own shops' stock only (others answer 404)."""
    if ctx.actor.shops is not None and not {line.place_id for line in out.lines} <= ctx.actor.shops:
        raise NotFound(f"Reservation {out.reference} does not exist.", slug="reservation-not-found")
    return out


Skus = Annotated[list[str], Query(alias="sku", min_length=1, max_length=200, description="One or more SKUs")]
PlaceIds = Annotated[list[str] | None, Query(alias="place_id", max_length=500)]


# -- availability -------------------------------------------------------------------------------------------


class NearestQuery(Schema):
    """The query of ``/availability/nearest``, validated in one pass (see the route)."""

    model_config = ConfigDict(extra="ignore")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(1, ge=1, le=1000)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    postcode: str | None = Field(None, max_length=10)
    limit: int = Field(5, ge=1, le=50)
    service: str | None = None
    kind: list[str] | None = None
    max_km: float | None = Field(None, gt=0, le=2000)
    at: AwareDatetime | None = None


async def nearest(ctx: Reader, request: Request) -> Response:
    # The query validated by one model in one pass (FastAPI's per-parameter path cost about 45 % of
    # this route's time when profiled); errors are the same 422 problem. The service writes the JSON.
    q = query_model(request, NearestQuery)
    body = await service.nearest_json(
        ctx.state.db,
        q.sku,
        quantity=q.quantity,
        lat=q.lat,
        lon=q.lon,
        postcode=q.postcode,
        limit=q.limit,
        service=q.service,
        kinds=q.kind or ("store",),
        max_km=q.max_km,
        at=q.at,
    )
    return Response(body, media_type="application/json")


router.add_api_route(
    "/availability/nearest",
    nearest,
    methods=["GET"],
    response_model=NearestOut,
    summary="Nearest places with stock to a position or a postcode, with open status and pickup promise",
    openapi_extra={"parameters": query_parameters(NearestQuery)},
    route_class_override=LeanRoute,  # the platform's hottest read
)


@router.get("/availability", summary="Stock of one or many SKUs per place, with shelf locations")
def availability(ctx: Reader, skus: Skus, place_ids: PlaceIds = None) -> list[SkuAvailability]:
    with ctx.reader() as uow:
        levels = service.stock_levels(uow, skus, place_ids)
    return [
        SkuAvailability(sku=sku, levels=rows, total_available=sum(r.available for r in rows))
        for sku, rows in levels.items()
    ]


@router.get("/availability/network", summary="Units that can be promised for delivery, per SKU")
def network(ctx: Reader, skus: Skus) -> list[NetworkAvailability]:
    with ctx.reader() as uow:
        return service.network_availability(uow, skus)


# -- stock, movements, transfers --------------------------------------------------------------------------


@router.get("/stock/{place_id}/{sku}", summary="Stock level of a SKU at a place")
def stock_level(place_id: str, sku: str, ctx: Reader) -> StockLevelOut:
    with ctx.reader() as uow:
        return service.stock_level(uow, sku, place_id)


@router.put("/stock/{place_id}/{sku}", summary="Set safety stock and/or shelf location of a SKU at a place")
def stock_settings(place_id: str, sku: str, body: SettingsIn, ctx: Writer) -> StockLevelOut:
    ctx.own_shop(place_id)
    with ctx.uow() as uow:
        out = service.set_stock_settings(uow, sku, place_id, body)
        uow.commit()
    return out


@router.post(
    "/movements", status_code=201, summary="Record a receipt, sale, return, transfer leg or adjustment"
)
def record_movement(body: MovementIn, ctx: Writer) -> StockLevelOut:
    ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        service.record_movement(uow, body)
        out = service.stock_level(uow, body.sku, body.place_id)
        uow.commit()
    return out


@router.get("/movements", summary="The stock ledger, newest first")
def list_movements(
    ctx: StaffReader,
    sku: str | None = None,
    place_id: str | None = None,
    kind: MovementKind | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MovementOut]:
    if ctx.actor.shops is not None:
        if place_id is None:
            raise InvalidInput("Name one of your shops (place_id).", field="place_id")
        ctx.own_shop(place_id)
    with ctx.reader() as uow:
        return service.movements(uow, sku=sku, place_id=place_id, kind=kind, cursor=cursor, limit=limit)


@router.post("/transfers", status_code=201, summary="Move units from one place to another")
def transfer(body: TransferIn, ctx: Writer) -> list[StockLevelOut]:
    ctx.own_shop(body.from_place_id)
    with ctx.uow() as uow:
        service.transfer(uow, body)
        levels = service.stock_levels(uow, [body.sku], [body.from_place_id, body.to_place_id])[body.sku]
        uow.commit()
    return levels


# -- reservations -------------------------------------------------------------------------------------------


@router.post(
    "/reservations", status_code=201, summary="Hold stock (all lines or none; idempotent by reference)"
)
def reserve(body: ReserveIn, ctx: Writer) -> ReservationOut:
    for line in body.lines:
        ctx.own_shop(line.place_id)
    with ctx.uow() as uow:
        out = service.reserve(uow, body)
        uow.commit()
    return out


@router.get("/reservations/{reference}", summary="A reservation")
def get_reservation(reference: str, ctx: StaffReader) -> ReservationOut:
    with ctx.reader() as uow:
        return _own_reservation(ctx, service.get_reservation(uow, reference))


@router.post(
    "/reservations/{reference}/release",
    summary="Give the held units back (idempotent; 404 when the reservation does not exist)",
)
def release(reference: str, ctx: Writer) -> Response:
    with ctx.uow() as uow:
        if ctx.actor.shops is not None:
            _own_reservation(ctx, service.get_reservation(uow, reference))
        service.release(uow, reference, must_exist=True)
        uow.commit()
    return Response(status_code=204)


@router.post("/reservations/{reference}/confirm", summary="Keep a hold (an order was placed)")
def confirm(reference: str, body: ConfirmIn, ctx: Writer) -> ReservationOut:
    with ctx.uow() as uow:
        _own_reservation(ctx, service.get_reservation(uow, reference))
        out = service.confirm(uow, reference, expires_at=body.expires_at)
        uow.commit()
    return out


@router.post("/reservations/{reference}/fulfil", summary="The held units leave (shipped, collected, sold)")
def fulfil(reference: str, body: FulfilIn, ctx: Writer) -> ReservationOut:
    with ctx.uow() as uow:
        _own_reservation(ctx, service.get_reservation(uow, reference))
        service.fulfil(uow, reference, body.lines, movement_reference=body.movement_reference)
        out = service.get_reservation(uow, reference)
        uow.commit()
    return out


# -- counts ---------------------------------------------------------------------------------------------------


@router.post(
    "/counts", status_code=201, summary="Ingest a full count of a place (quantities or RFID EPC reads)"
)
def ingest_count(body: CountIn, ctx: Writer) -> CountOut:
    ctx.own_shop(body.place_id)
    with ctx.uow() as uow:
        out = service.ingest_count(uow, body)
        uow.commit()
    return out


@router.get("/counts/{count_id}", summary="A count and its variance report")
def get_count(count_id: str, ctx: StaffReader) -> CountOut:
    with ctx.reader() as uow:
        out = service.get_count(uow, count_id)
    if ctx.actor.shops is not None and out.place_id not in ctx.actor.shops:
        raise NotFound(f"Count {count_id} does not exist.", slug="count-not-found")
    return out


@router.get("/places/{place_id}/accuracy", summary="Stock accuracy of a place over its counts")
def accuracy(place_id: str, ctx: StaffReader, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> AccuracyOut:
    ctx.own_shop(place_id)
    with ctx.reader() as uow:
        return service.accuracy(uow, place_id, limit=limit)


@router.post("/places/sync", summary="Rebuild inventory's copy of the places from the stores domain")
def sync_places(ctx: Sync) -> dict[str, int]:
    with ctx.uow() as uow:
        count = service.sync_places(uow)
        uow.commit()
    return {"places": count}
