"""The FastAPI application: the kernel's routes, every domain's router, middlewares, the dispatcher."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from comptoir import __version__
from comptoir.core import docs, pubsub, staff, staff_routes, web
from comptoir.core import routes as core_routes
from comptoir.core.api import AppState, install_problem_handlers, openapi_security
from comptoir.core.auth import Authenticator
from comptoir.core.cors import CORS
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, dispatcher_config
from comptoir.core.idempotency import IdempotencyMiddleware
from comptoir.core.limits import BodyLimitMiddleware
from comptoir.core.observability import Metrics, RequestMiddleware, configure_logging
from comptoir.core.pubsub import hub_from_settings
from comptoir.core.ratelimit import RedisRateLimiter
from comptoir.core.settings import Settings, get_settings
from comptoir.customers import service as customers_service
from comptoir.domains import (
    all_domains,
    build_bus,
    build_jobs,
    customer_exports,
    customer_sections,
    page_links,
)
from comptoir.pricing import service as pricing_service

log = logging.getLogger("comptoir.app")

SQLITE_API_THREADS = 4
POSTGRESQL_API_THREADS = 40  # Starlette's default

DESCRIPTION = """
Comptoir is a headless **unified commerce** platform: one customer record, one stock, one cart,
one price and one loyalty programme on every channel (stores, web, app, call centre, live).

Authenticate with an API key: `Authorization: Bearer cpt_…` (create one with `comptoir keys create`).
Errors are RFC 9457 `application/problem+json`. POSTs that create accept an `Idempotency-Key`.
Mutable resources carry a `version`; send it back as `If-Match` to avoid lost updates.
"""


def _area(path: str) -> str | None:
    """The first two segments of a path (`/v1/inventory`, `/pages/carts`): a domain's area; a path of
    one segment (an app's home: `/shop`, `/seller`, `/back-office`) is an area of its own."""
    parts = path.split("/", 3)
    if len(parts) >= 3:
        return f"/{parts[1]}/{parts[2]}"
    return path if len(parts) == 2 and parts[1] else None


class _AreaDispatch:
    """Sends a request straight to a router holding only the routes under its first two path
    segments: its area (a domain's prefix, or the kernel's ``/v1/me``, ``/v1/keys`` …).

    FastAPI tries routes one included router after another, and trying a router that does not match
    costs about 16 µs: with eleven domains, the last area's requests spent 0.4–0.6 ms only finding
    their route. No route has a parameter in its first two segments, so skipping the other areas
    changes no match. HTTP and WebSocket requests are dispatched by their path alone; anything
    outside an area (the root, static files, 404s) and the lifespan go to the full router.
    """

    def __init__(self, router: APIRouter, areas: dict[str, APIRouter]) -> None:
        self.router = router
        self.areas = areas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            area = _area(path)
            sub = self.areas.get(area) if area else None
            if sub is not None:
                # url_for() and friends still see every route of the application.
                scope.setdefault("router", self.router)
                await sub(scope, receive, send)
                return
        await self.router(scope, receive, send)


class ComptoirAPI(FastAPI):
    area_routers: dict[str, APIRouter]

    def build_middleware_stack(self) -> ASGIApp:
        # Starlette wraps `self.router` in the middlewares; put the area dispatch in its place.
        real = self.router
        self.router = cast(Any, _AreaDispatch(real, getattr(self, "area_routers", {})))
        try:
            return super().build_middleware_stack()
        finally:
            self.router = real


def _area_routers(routers: list[APIRouter]) -> dict[str, APIRouter]:
    """One router per area holding every route of the application under it, in the application's
    order, as route objects (FastAPI keeps an included router as one more layer to match through).

    A route whose first two segments hold a parameter could match under any area: none may exist; nor
    may a router included in another (FastAPI keeps it as one opaque layer), whose routes the index
    would not see: every request under them would walk the whole route table.
    """
    routes: dict[str, list[BaseRoute]] = {}
    for router in routers:
        for route in router.routes:
            path = getattr(route, "path", None)
            if path is None:  # a router included in a router: its routes would skip the index
                raise ValueError(
                    f"a router under {router.prefix or '/'} includes another: list each router in the "
                    "domain's declaration (Domain.routers) instead"
                )
            area = _area(path)
            if area is None:
                continue
            if "{" in area:
                raise ValueError(f"{path}: the first two segments of a path must be fixed")
            routes.setdefault(area, []).append(route)
    return {area: APIRouter(routes=found) for area, found in routes.items()}


def _app_state(settings: Settings, db: Database) -> AppState:
    """What every request reaches through ``app.state.comptoir``: settings, database, bus, key checks,
    metrics and the hooks by which domains serve each other's pages and exports."""
    metrics = Metrics()
    return AppState(
        settings=settings,
        db=db,
        bus=build_bus(settings),
        authenticator=Authenticator(
            db,
            cache_seconds=settings.api_key_cache_seconds,
            default_rate_limit=settings.default_rate_limit_per_minute,
            limiter=RedisRateLimiter(settings.redis_url, errors=metrics.ratelimit_store_errors)
            if settings.redis_url
            else None,
        ),
        metrics=metrics,
        customer_sections=customer_sections(),
        customer_exports=customer_exports(),
        page_links=page_links(),
        customer_session_check=customers_service.session_check,
        shelf_prices=pricing_service.shelf_prices,
    )


def api_threads(settings: Settings) -> int:
    """How many threads serve the synchronous routes (``COMPTOIR_API_THREADS``; see Settings)."""
    if settings.api_threads is not None:
        return settings.api_threads
    return SQLITE_API_THREADS if settings.is_sqlite else POSTGRESQL_API_THREADS


def _lifespan(state: AppState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Sizes the process's thread pool (:func:`api_threads`), starts the process's hub
    (:mod:`comptoir.core.pubsub`) and runs the outbox dispatcher in a thread of the API process when
    ``dispatcher`` is ``inprocess``."""
    settings = state.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The thread pool of this event loop (anyio keeps one limiter per loop).
        anyio.to_thread.current_default_thread_limiter().total_tokens = api_threads(settings)
        # The hub fans live state (presence, offers, signalling) out to every process's WebSockets; the
        # dispatcher's jobs publish through it, so it is up before they run.
        state.hub = hub_from_settings(settings, state.db)
        await state.hub.start()
        pubsub.serving(state.hub)
        stop = threading.Event()
        thread = None
        if settings.dispatcher == "inprocess":
            config = dispatcher_config(settings)
            dispatcher = Dispatcher(state.db, state.bus, config, jobs=build_jobs(settings))
            thread = threading.Thread(
                target=dispatcher.run_forever, args=(stop,), name="dispatcher", daemon=True
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)
            pubsub.serving(None)
            await state.hub.stop()

    return lifespan


def _add_middleware(app: FastAPI, state: AppState) -> None:
    """Outermost last: the edge (request id, CORS, metrics) wraps everything, idempotency the routes."""
    settings, db = state.settings, state.db
    app.add_middleware(
        IdempotencyMiddleware,
        db=db,
        ttl_hours=settings.idempotency_ttl_hours,
        wait_seconds=settings.idempotency_wait_seconds,
        verify=lambda token: (
            staff.actor_for(db, token)
            if token.startswith(staff.SESSION_PREFIX)
            else state.authenticator.verify(token)
        ),
    )
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    cors = (
        CORS(
            None,  # not a middleware of its own: the request middleware calls it (core/cors.py)
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"],
        )
        if settings.cors_origins
        else None
    )
    app.add_middleware(RequestMiddleware, metrics=state.metrics, cors=cors)


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = _app_state(settings, db or Database(settings.database_url))
    app = ComptoirAPI(
        title="Comptoir",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(state),
        docs_url=None,  # served offline by comptoir.core.docs
        redoc_url=None,
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.comptoir = state
    install_problem_handlers(app)
    openapi_security(app)
    web.install_page_handlers(app)

    docs.install(app)
    routers = [core_routes.health, core_routes.router, staff_routes.router, web.router, docs.router]
    routers += [router for domain in all_domains() for router in domain.load_routers()]
    for router in routers:
        app.include_router(router)
    app.area_routers = _area_routers(routers)
    _add_middleware(app, state)
    return app


def create_app_from_env() -> FastAPI:
    """The application configured from the environment (``comptoir serve`` runs it through ``comptoir.asgi``)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
