"""The FastAPI application: the kernel's routes, every domain's router, middlewares, the dispatcher."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from comptoir import __version__
from comptoir.core import routes as core_routes
from comptoir.core import staff, staff_routes, web
from comptoir.core.api import AppState, ContextRoute, install_problem_handlers, openapi_security
from comptoir.core.auth import Authenticator
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, dispatcher_config
from comptoir.core.idempotency import IdempotencyMiddleware
from comptoir.core.limits import BodyLimitMiddleware
from comptoir.core.observability import Metrics, RequestMiddleware, configure_logging
from comptoir.core.ratelimit import RedisRateLimiter
from comptoir.core.settings import Settings, get_settings
from comptoir.domains import all_domains, build_bus, build_jobs, customer_sections, page_links

log = logging.getLogger("comptoir.app")

DESCRIPTION = """
Comptoir is a headless **unified commerce** platform: one customer record, one stock, one cart,
one price and one loyalty programme on every channel (stores, web, app, call centre, live).

Authenticate with an API key: `Authorization: Bearer cpt_…` (create one with `comptoir keys create`).
Errors are RFC 9457 `application/problem+json`. POSTs that create accept an `Idempotency-Key`.
Mutable resources carry a `version`; send it back as `If-Match` to avoid lost updates.
"""


def _area(path: str) -> str | None:
    """The first two segments of a path (`/v1/inventory`, `/pages/carts`): a domain's area."""
    parts = path.split("/", 3)
    return f"/{parts[1]}/{parts[2]}" if len(parts) >= 3 else None


class _AreaDispatch:
    """Sends a request straight to a router holding only the routes under its first two path
    segments: its area (a domain's prefix, or the kernel's ``/v1/me``, ``/v1/keys`` …).

    FastAPI tries routes one included router after another, and trying a router that does not match
    costs about 16 µs: with eleven domains, the last area's requests spent 0.4–0.6 ms only finding
    their route. No route has a parameter in its first two segments, so skipping the other areas
    changes no match; anything outside an area (health, docs, static files, 404s) goes to the full
    router.
    """

    def __init__(self, router: APIRouter, areas: dict[str, APIRouter]) -> None:
        self.router = router
        self.areas = areas
        self.hot = _hot_routes(areas)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if scope["method"] == "GET":
                hot = self.hot.get(path)
                if hot is not None:
                    scope["route"] = hot
                    scope.setdefault("router", self.router)
                    await hot.app(scope, receive, send)
                    return
            area = _area(path)
            sub = self.areas.get(area) if area else None
            if sub is not None:
                # url_for() and friends still see every route of the application.
                scope.setdefault("router", self.router)
                await sub(scope, receive, send)
                return
        await self.router(scope, receive, send)


class _HotLane:
    """Serves a hot GET route (``ContextRoute``) without the middleware stack but the request one.

    On the nearest-stores availability call the stack's layers (server errors, body limit, exception
    middleware, exit stack, idempotency, dispatch) cost about a tenth of the request. For such a
    route they do nothing: a GET has no body or idempotency key, the route has no dependency that
    yields, and its errors are answered here by the application's exception handlers exactly as the
    exception middleware would (``RequestMiddleware`` answers anything else with a 500 problem, as it
    does under the stack). Only built when the stack holds no middleware but the kernel's own.
    """

    def __init__(self, app: ComptoirAPI, routes: dict[str, ContextRoute], metrics: Metrics) -> None:
        handlers: dict[Any, Any] = {}
        status_handlers: dict[int, Any] = {}
        for key, handler in app.exception_handlers.items():
            if key in (500, Exception):  # the server-error handler is not the exception middleware's
                continue
            if isinstance(key, int):
                status_handlers[key] = handler
            else:
                handlers[key] = handler
        self.app = app
        self.routes = routes
        self.handlers = (handlers, status_handlers)
        self.serve = RequestMiddleware(self._dispatch, metrics=metrics)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes[scope["path"]]
        scope["app"] = self.app
        scope["router"] = self.app.router
        scope["route"] = route
        scope["starlette.exception_handlers"] = self.handlers
        await route.app(scope, receive, send)


_LANE_MIDDLEWARE: set[Any] = {BodyLimitMiddleware, IdempotencyMiddleware, RequestMiddleware}


class ComptoirAPI(FastAPI):
    area_routers: dict[str, APIRouter]
    hot_lane: _HotLane | None = None

    def build_middleware_stack(self) -> ASGIApp:
        # Starlette wraps `self.router` in the middlewares; put the area dispatch in its place.
        real = self.router
        dispatch = _AreaDispatch(real, getattr(self, "area_routers", {}))
        self.router = cast(Any, dispatch)
        try:
            stack = super().build_middleware_stack()
        finally:
            self.router = real
        self.hot_lane = None
        metrics = [
            m.kwargs.get("metrics") for m in self.user_middleware if cast(Any, m.cls) is RequestMiddleware
        ]
        if (
            dispatch.hot
            and not self.root_path
            and {cast(Any, m.cls) for m in self.user_middleware} == _LANE_MIDDLEWARE
            and isinstance(metrics[0], Metrics)
        ):
            self.hot_lane = _HotLane(self, dispatch.hot, metrics[0])
        return stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        lane = self.hot_lane
        if (
            lane is not None
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"] in lane.routes
        ):
            await lane.serve(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _hot_routes(areas: dict[str, APIRouter]) -> dict[str, ContextRoute]:
    """GET routes declared hot (``ContextRoute``, a fixed path), found by their path alone: a dictionary
    look-up instead of matching the area's routes one by one. Only when no route before it in its
    area would take the same request."""
    hot: dict[str, ContextRoute] = {}
    for router in areas.values():
        for index, route in enumerate(router.routes):
            if not isinstance(route, ContextRoute) or "{" in route.path or "GET" not in (route.methods or ()):
                continue
            probe: Scope = {"type": "http", "method": "GET", "path": route.path, "root_path": ""}
            if not any(other.matches(probe)[0] is Match.FULL for other in router.routes[:index]):
                hot[route.path] = route
    return hot


def _area_routers(routers: list[APIRouter]) -> dict[str, APIRouter]:
    """One router per area holding every route of the application under it, in the application's
    order, as route objects (FastAPI keeps an included router as one more layer to match through).

    A route whose first two segments hold a parameter could match under any area: none may exist.
    """
    routes: dict[str, list[BaseRoute]] = {}
    for router in routers:
        for route in router.routes:
            path = getattr(route, "path", "")
            area = _area(path)
            if area is None:
                continue
            if "{" in area:
                raise ValueError(f"{path}: the first two segments of a path must be fixed")
            routes.setdefault(area, []).append(route)
    return {area: APIRouter(routes=found) for area, found in routes.items()}


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or Database(settings.database_url)
    bus = build_bus(settings)
    metrics = Metrics()
    state = AppState(
        settings=settings,
        db=db,
        bus=bus,
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
        page_links=page_links(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if settings.dispatcher == "inprocess":
            dispatcher = Dispatcher(db, bus, dispatcher_config(settings), jobs=build_jobs(settings))
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

    app = ComptoirAPI(
        title="Comptoir",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.comptoir = state
    install_problem_handlers(app)
    openapi_security(app)
    web.install_page_handlers(app)

    app.mount("/static", StaticFiles(packages=[("comptoir.core", "static")]), name="static")
    routers = [core_routes.health, core_routes.router, staff_routes.router, web.router]
    routers += [router for domain in all_domains() for router in domain.load_routers()]
    for router in routers:
        app.include_router(router)
    app.area_routers = _area_routers(routers)

    # Outermost last: request id/metrics wrap everything, idempotency wraps the routes.
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
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"],
        )
    app.add_middleware(RequestMiddleware, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """The application configured from the environment (``comptoir serve`` runs it through ``comptoir.asgi``)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
