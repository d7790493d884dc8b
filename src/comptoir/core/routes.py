"""The kernel's own API: health, metrics, API keys, webhook subscriptions and deliveries, the event log."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, WebSocket, WebSocketDisconnect
from prometheus_client import CONTENT_TYPE_LATEST

from comptoir.core import auth, webhooks
from comptoir.core.api import PROBLEM_RESPONSES, AppState, IfMatch, RequestContext, allow, app_state, etag
from comptoir.core.errors import Problem, Unauthorized, Unavailable
from comptoir.core.pagination import Page

health = APIRouter(tags=["operations"])


@health.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz", summary="Readiness: the database answers")
def readyz(request: Request) -> dict[str, str]:
    try:
        app_state(request).db.ping()
    except Exception as exc:
        raise Unavailable("The database is not reachable.") from exc
    return {"status": "ready", "database": app_state(request).db.dialect}


@health.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(app_state(request).metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

# Keys, webhooks and the event log are the retailer's systems' business: employees and secret keys only,
# unbound ones for webhooks and the event log (they carry every shop's and customer's events).
KeysWriter = Annotated[RequestContext, Depends(allow("keys", "write", "staff", "secret"))]
KeysReader = Annotated[RequestContext, Depends(allow("keys", "read", "staff", "secret"))]
WebhooksWriter = Annotated[
    RequestContext, Depends(allow("webhooks", "write", "staff", "secret", retailer_wide=True))
]
WebhooksReader = Annotated[
    RequestContext, Depends(allow("webhooks", "read", "staff", "secret", retailer_wide=True))
]
EventsReader = Annotated[
    RequestContext, Depends(allow("events", "read", "staff", "secret", retailer_wide=True))
]
Anyone = Annotated[
    RequestContext, Depends(allow(None, "read", "publishable", "customer", "shop", "secret", "staff"))
]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/me", tags=["auth"], summary="Who is calling: the principal, its key or person, channel, scopes, shops"
)
async def whoami(ctx: Anyone) -> dict[str, object]:
    a = ctx.actor
    return {
        "principal": a.kind,
        "key_id": a.key_id,
        "staff_id": a.staff_id,
        "role": a.role,
        "channel": a.channel,
        "shops": sorted(a.shops) if a.shops is not None else None,
        "scopes": sorted(a.scopes),
        "customer_id": a.customer_id,
    }


@router.post("/keys", tags=["auth"], status_code=201, summary="Create an API key (the token is shown once)")
def create_key(body: auth.ApiKeyCreate, ctx: KeysWriter) -> auth.ApiKeyCreated:
    with ctx.uow() as uow:
        created = auth.create_key(uow, body, minter=ctx.actor)
        uow.commit()
    return created


@router.get("/keys", tags=["auth"], summary="List API keys (never their secrets)")
def list_keys(ctx: KeysReader) -> list[auth.ApiKeyOut]:
    with ctx.reader() as uow:
        return auth.list_keys(uow, shops=ctx.actor.shops)


@router.post("/keys/{key_id}/revoke", tags=["auth"], summary="Revoke an API key")
def revoke_key(key_id: str, ctx: KeysWriter) -> auth.ApiKeyOut:
    with ctx.uow() as uow:
        out = auth.revoke_key(uow, key_id, by=ctx.actor)
        uow.commit()
    return out


def _guard(ctx: RequestContext) -> webhooks.TargetGuard:
    return webhooks.TargetGuard.from_settings(ctx.state.settings)


@router.post(
    "/webhooks/subscriptions", tags=["webhooks"], status_code=201, summary="Subscribe an endpoint to events"
)
def create_subscription(
    body: webhooks.SubscriptionIn, ctx: WebhooksWriter, response: Response
) -> webhooks.SubscriptionCreated:
    with ctx.uow() as uow:
        out = webhooks.create_subscription(uow, body, guard=_guard(ctx))
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    response.headers["Location"] = f"/v1/webhooks/subscriptions/{out.id}"
    return out


@router.get("/webhooks/subscriptions", tags=["webhooks"], summary="List webhook subscriptions")
def list_subscriptions(
    ctx: WebhooksReader, cursor: str | None = None, limit: Limit = 50
) -> Page[webhooks.SubscriptionOut]:
    with ctx.reader() as uow:
        return webhooks.list_subscriptions(uow, cursor=cursor, limit=limit)


@router.get("/webhooks/subscriptions/{subscription_id}", tags=["webhooks"], summary="One subscription")
def get_subscription(
    subscription_id: str, ctx: WebhooksReader, response: Response
) -> webhooks.SubscriptionOut:
    with ctx.reader() as uow:
        out = webhooks.get_subscription(uow, subscription_id)
    response.headers["ETag"] = etag(out.version)
    return out


@router.patch(
    "/webhooks/subscriptions/{subscription_id}",
    tags=["webhooks"],
    summary="Change a subscription (send If-Match with its ETag to avoid lost updates)",
)
def update_subscription(
    subscription_id: str,
    body: webhooks.SubscriptionPatch,
    ctx: WebhooksWriter,
    expected: IfMatch,
    response: Response,
) -> webhooks.SubscriptionOut:
    with ctx.uow() as uow:
        out = webhooks.update_subscription(
            uow, subscription_id, body, expected_version=expected, guard=_guard(ctx)
        )
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.delete("/webhooks/subscriptions/{subscription_id}", tags=["webhooks"], status_code=204)
def delete_subscription(subscription_id: str, ctx: WebhooksWriter, expected: IfMatch) -> Response:
    with ctx.uow() as uow:
        webhooks.delete_subscription(uow, subscription_id, expected_version=expected)
        uow.commit()
    return Response(status_code=204)


@router.get("/webhooks/deliveries", tags=["webhooks"], summary="Delivery log, newest first")
def list_deliveries(
    ctx: WebhooksReader,
    subscription_id: str | None = None,
    status: Literal["pending", "succeeded", "dead"] | None = None,
    event_id: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[webhooks.DeliveryOut]:
    with ctx.reader() as uow:
        return webhooks.list_deliveries(
            uow, subscription_id=subscription_id, status=status, event_id=event_id, cursor=cursor, limit=limit
        )


@router.get(
    "/webhooks/deliveries/{delivery_id}", tags=["webhooks"], summary="One delivery with every attempt"
)
def get_delivery(delivery_id: int, ctx: WebhooksReader) -> webhooks.DeliveryOut:
    with ctx.reader() as uow:
        return webhooks.get_delivery(uow, delivery_id)


@router.post(
    "/webhooks/deliveries/{delivery_id}/retry",
    tags=["webhooks"],
    summary="Retry a dead-lettered delivery now",
)
def retry_delivery(delivery_id: int, ctx: WebhooksWriter) -> webhooks.DeliveryOut:
    with ctx.uow() as uow:
        out = webhooks.retry_delivery(uow, delivery_id)
        uow.commit()
    return out


@router.get("/events", tags=["events"], summary="The event log (outbox), oldest first")
def list_events(
    ctx: EventsReader, type_prefix: str | None = None, cursor: str | None = None, limit: Limit = 50
) -> Page[webhooks.EventOut]:
    with ctx.reader() as uow:
        return webhooks.list_events(uow, type_prefix=type_prefix, cursor=cursor, limit=limit)


# -- WebSockets ----------------------------------------------------------------------------------------------

WS_UNAUTHORIZED = 4401  # no key, or one malformed, unknown or revoked (HTTP 401 in the 4000 range)
WS_FORBIDDEN = 4403  # a valid key refused: over its rate limit, not allowed (HTTP 403 and the like)


def _websocket_token(websocket: WebSocket) -> str | None:
    """The key of a WebSocket: ``Authorization: Bearer``/``X-API-Key`` as on any route, or
    ``?access_token=`` since a browser cannot set headers on a WebSocket."""
    token = websocket.query_params.get("access_token")
    if token:
        return token
    return auth.parse_token(websocket.headers.get("authorization"), websocket.headers.get("x-api-key"))


@router.websocket("/ws/echo")
async def echo(websocket: WebSocket) -> None:
    """Sends every message back as it came (text or binary): a check that WebSockets reach the
    application through every proxy and worker. Requires a valid API key; the connection is accepted
    then closed with 4401 (no or bad key) or 4403 (key refused), the problem's detail as the reason."""
    state: AppState = websocket.app.state.comptoir
    await websocket.accept()
    try:
        # The key check reads the database (off the event loop) only when the key is not cached.
        await state.authenticator.authenticate(_websocket_token(websocket))
    except Problem as problem:
        code = WS_UNAUTHORIZED if isinstance(problem, Unauthorized) else WS_FORBIDDEN
        await websocket.close(code=code, reason=problem.detail.encode()[:120].decode(errors="ignore"))
        return
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            elif message.get("bytes") is not None:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        return
