"""FastAPI glue shared by every domain's router: the request context, scopes, If-Match, problems."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from opentelemetry import trace
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from comptoir.core import access, staff, tokens
from comptoir.core.access import Policy, Role, Who, policy
from comptoir.core.auth import Authenticator, parse_token
from comptoir.core.context import Actor
from comptoir.core.db import Database
from comptoir.core.errors import (
    PROBLEM_CONTENT_TYPE,
    Conflict,
    InvalidInput,
    PreconditionFailed,
    Problem,
    Unauthorized,
    pointer_from_loc,
)
from comptoir.core.events import Bus
from comptoir.core.observability import Metrics, request_id_var
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork

log = logging.getLogger("comptoir.api")

# A domain's section of the 360° customer view: (unit of work, customer id) -> JSON-ready dict.
CustomerSection = Callable[[UnitOfWork, str], dict[str, Any]]

CUSTOMER_TOKEN_PURPOSE = "customer-session"


@dataclass
class AppState:
    settings: Settings
    db: Database
    bus: Bus
    authenticator: Authenticator
    metrics: Metrics
    # The 360° view: each domain's section of a customer, by section name (see comptoir.domains).
    customer_sections: dict[str, CustomerSection] = field(default_factory=dict)
    # The GDPR export: each domain's part (its export, else its 360° section), by domain name.
    customer_exports: dict[str, CustomerSection] = field(default_factory=dict)
    # Entry points of the reference pages: (title message id, path, package holding the translation).
    page_links: list[tuple[str, str, str]] = field(default_factory=list)
    # (db, a verified customer token's claims) -> is the session still good? Set by the app to the
    # customers domain's check (one primary-key read): ended sessions stop at once.
    customer_session_check: Callable[[Database, dict[str, Any]], Awaitable[bool]] | None = None
    # What SKUs sell at here, for search hits and shelf labels: (unit of work, skus, currency=, channel=,
    # store_id=, customer_id=) -> {sku: its resolved price}. Set by the app from the pricing domain, so a
    # domain below pricing (the catalogue) shows prices without depending on it.
    shelf_prices: Callable[..., Mapping[str, Any]] | None = None
    # The process's hub (comptoir.core.pubsub): live state fanned out to every process's WebSockets.
    # Started and stopped by the application's lifespan.
    hub: Any = None


class RequestContext:
    """What a route needs: who is calling and a way to open a unit of work on their behalf."""

    __slots__ = ("actor", "state")

    def __init__(self, state: AppState, actor: Actor) -> None:
        self.state = state
        self.actor = actor

    @property
    def settings(self) -> Settings:
        return self.state.settings

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.state.db, self.actor)

    def reader(self) -> UnitOfWork:
        return UnitOfWork(self.state.db, self.actor, read_only=True)

    # Ownership and shop binding of the resource a route touches (see comptoir.core.access).
    def own_customer(self, customer_id: str | None, resource: str = "Resource", rid: str = "") -> None:
        access.own_customer(self.actor, customer_id, resource=resource, rid=rid)

    def own_resource(
        self, customer_id: str | None, shops: Iterable[str | None], resource: str, rid: str
    ) -> None:
        access.own_resource(self.actor, customer_id, shops, resource=resource, rid=rid)

    def customer_filter(self, requested: str | None) -> str | None:
        return access.customer_filter(self.actor, requested)

    def own_shop(self, place_id: str | None) -> None:
        access.own_shop(self.actor, place_id)

    def shop_filter(self, requested: str | None) -> tuple[str, ...] | None:
        return access.shop_filter(self.actor, requested)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.comptoir
    return state


# Documented in OpenAPI by ``openapi_security`` (not as FastAPI security dependencies: resolving three
# sub-dependencies per request cost more than the whole authentication).
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "API key: `Authorization: Bearer cpt_…`"},
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "API key, alternative header",
    },
    "customerToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Customer-Token",
        "description": "Signed-in customer's token, with a customer-facing channel's key",
    },
}


_CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"x-customer-token"})


def _credential_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, str]:
    """The credentials of a request in one pass over its headers (the first of each, as Starlette's
    ``Headers.get`` answers)."""
    found: dict[bytes, str] = {}
    for name, value in raw:
        if name in _CREDENTIAL_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


class PolicyDependency:
    """The context dependency of one route: authenticates the caller and applies its :class:`Policy`.

    API keys are verified from this process's cache without I/O; a cache miss, a staff session and a
    customer session's revocation check read the database in the thread pool, never on the event loop.
    """

    def __init__(self, rule: Policy, *, declared: bool = True) -> None:
        self.policy = rule
        self.declared = declared  # False only for the legacy ``require()`` (the tests refuse it)

    async def __call__(self, request: Request) -> RequestContext:
        state = app_state(request)
        actor = await authenticate_request(state, request.scope["headers"], self.policy)
        self.policy.admits(actor)
        return RequestContext(state, actor)


async def authenticate_request(
    state: AppState, raw_headers: list[tuple[bytes, bytes]], rule: Policy
) -> Actor:
    found = _credential_headers(raw_headers)
    token = parse_token(found.get(b"authorization"), found.get(b"x-api-key"))
    request_id = request_id_var.get()
    customer_token = found.get(b"x-customer-token")
    if not token:
        if customer_token:
            raise Unauthorized("A customer token goes with the channel's publishable key.")
        return Actor(kind="public", request_id=request_id)
    if token.startswith(staff.SESSION_PREFIX):
        actor = (await staff.signed_in(state.db, token, request_id=request_id)).actor
    else:
        key = state.authenticator.cached(token)
        if key is None:
            key = await run_in_threadpool(state.authenticator.verify, token)
        await state.authenticator.hit_async(key)
        actor = key.actor(request_id)
    if customer_token:
        actor = await _with_customer(state, actor, customer_token)
    return actor


async def _with_customer(state: AppState, actor: Actor, customer_token: str) -> Actor:
    if actor.kind != "publishable":
        raise Unauthorized("A customer token goes with the channel's publishable key, not this one.")
    claims = tokens.verify(state.settings.secret_key, CUSTOMER_TOKEN_PURPOSE, customer_token)
    if claims is None or "sub" not in claims:
        raise Unauthorized("The customer token is invalid or has expired; sign in again.")
    check = state.customer_session_check
    if check is not None and not await check(state.db, claims):
        raise Unauthorized("The customer token is invalid or has expired; sign in again.")
    return replace(actor, kind="customer", customer_id=str(claims["sub"]))


def allow(
    area: str | None,
    access: Literal["read", "write"] = "read",
    *who: Who,
    roles: Iterable[Role] | None = None,
    retailer_wide: bool = False,
) -> PolicyDependency:
    """A route's access policy as its context dependency: ``ctx: Annotated[RequestContext,
    Depends(allow("orders", "read", "staff", "secret", "shop", "customer"))]``. See
    :mod:`comptoir.core.access` for the principals and the ownership checks the route then makes."""
    return PolicyDependency(policy(area, access, *who, roles=roles, retailer_wide=retailer_wide))


def require(area: str | None, access: Literal["read", "write"] = "read") -> PolicyDependency:
    """Legacy: any key holding ``<area>:<access>``. Not a declared policy: the route tests refuse it."""
    legacy = policy(area, access, "publishable", "customer", "shop", "secret", "staff")
    return PolicyDependency(legacy, declared=False)


def api_routes(routes: Iterable[Any]) -> Iterable[APIRoute]:
    """Every API route of an application, through the routers it included (each keeps its routes)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        else:
            inner = getattr(getattr(route, "original_router", None), "routes", None) or getattr(
                route, "routes", None
            )
            if inner:
                yield from api_routes(inner)


def route_policy(route: Any) -> PolicyDependency | None:
    """The policy a route declared (its one context dependency), for the OpenAPI document and tests."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, PolicyDependency):
            return dep.call
        stack.extend(dep.dependencies)
    return None


class LeanRoute(APIRoute):
    """An opt-in for hot reads: the route's context awaited directly, served as a Starlette route.

    For an ``async`` endpoint taking the request context (one ``async`` dependency, itself without
    dependencies, taking the request) and the ``Request``, and returning a ``Response``; the shape is
    checked when the route is built. FastAPI's dependency solver and its per-request wrappers (two
    exit stacks, a body limit, nothing a GET without yielding dependencies uses) cost about a third
    of the nearest-stores availability call; here the handler awaits the dependency and the endpoint
    and Starlette's public ``request_response`` serves it (errors become problems through the
    application's handlers, as on any route). The route sits in the application's router behind
    every middleware; OpenAPI is built from its signature. FastAPI's own route app serves the request
    instead when it is being traced (its operation spans then appear as for any route). The lean app is the route's own (``route.app``), which the
    application's area dispatch calls; where FastAPI serves an included router itself, it builds
    its usual app from ``get_route_handler`` (left as is), include-level dependencies included.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        standard = self.app
        context, names = self._context_shape()

        async def handler(request: Request) -> Response:
            ctx = await context(request)
            response: Response = await endpoint(**{names[0]: ctx, names[1]: request})
            return response

        lean = request_response(handler)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if trace.get_current_span().is_recording():
                await standard(scope, receive, send)
            else:
                await lean(scope, receive, send)

        self.app = app

    def _context_shape(self) -> tuple[Callable[..., Any], tuple[str, str]]:
        dependant = self.dependant
        deps = dependant.dependencies
        if (
            len(deps) != 1
            or deps[0].dependencies
            or deps[0].call is None
            or deps[0].name is None
            or dependant.request_param_name is None
            or dependant.query_params
            or dependant.header_params
            or dependant.path_params
            or dependant.cookie_params
            or dependant.body_params
            or dependant.response_param_name is not None
            or dependant.background_tasks_param_name is not None
            or not inspect.iscoroutinefunction(self.endpoint)
            or not (inspect.iscoroutinefunction(deps[0].call) or isinstance(deps[0].call, PolicyDependency))
        ):
            raise TypeError(
                f"{self.path}: a LeanRoute endpoint is `async def (ctx: <require()>, request: Request)`."
            )
        return deps[0].call, (deps[0].name, dependant.request_param_name)


def openapi_security(app: FastAPI) -> None:
    """Declare the credentials in the OpenAPI document so /docs offers "Authorize", and each operation's
    access policy (``x-comptoir-access``: who may call it, with which scope) and accepted schemes."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{"bearer": []}, {"apiKey": []}]
            policies = {
                (r.path, method.lower()): dep.policy
                for r in api_routes(app.routes)
                if (dep := route_policy(r)) is not None
                for method in r.methods or ()
            }
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    rule = policies.get((path, method))
                    if rule is None:
                        operation["security"] = []  # health, metrics: open
                        continue
                    operation["x-comptoir-access"] = rule.describe()
                    operation["security"] = _security_of(rule)
            declare_problems(schema, _if_match_operations(app))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _security_of(rule: Policy) -> list[dict[str, list[str]]]:
    schemes: list[dict[str, list[str]]] = []
    if "public" in rule.who:
        schemes.append({})
    if rule.who - {"public", "customer"}:
        schemes += [{"bearer": []}, {"apiKey": []}]
    if "customer" in rule.who:
        schemes += [{"bearer": [], "customerToken": []}, {"apiKey": [], "customerToken": []}]
    return schemes


_ETAG_RE = re.compile(r'^(?:W/)?"(\d+)"$')


def if_match(request: Request) -> int | None:
    """Parse ``If-Match: "<version>"``; ``None`` when absent or ``*``."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    match = _ETAG_RE.match(raw.strip())
    if match is None:
        raise InvalidInput(
            'If-Match must be an entity tag like "3" (the resource version).',
            errors=[{"header": "If-Match", "detail": "not a version entity tag"}],
        )
    return int(match.group(1))


IfMatch = Annotated[int | None, Depends(if_match)]


def etag(version: int) -> str:
    return f'"{version}"'


# -- problem documents --------------------------------------------------------------------------------


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.to_dict(instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_CONTENT_TYPE,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        where, pointer = pointer_from_loc(err.get("loc", ()))
        entry: dict[str, Any] = {"detail": err.get("msg", "invalid")}
        if where == "body":
            entry["pointer"] = pointer
        elif where == "header":
            entry["header"] = pointer
        else:
            entry["parameter"] = pointer
            entry["in"] = where
        errors.append(entry)
    return errors


_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: \w+\.(\w+)")


def not_null_column(exc: IntegrityError) -> str | None:
    """The column a NOT NULL violation is about (SQLite's message, PostgreSQL's SQLSTATE 23502)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23502":
        diag = getattr(orig, "diag", None)
        return getattr(diag, "column_name", None) or None
    found = _SQLITE_NOT_NULL.search(str(orig))
    return found.group(1) if found else None


def data_error_problem(request: Request) -> InvalidInput:
    """A 422 naming the query or path parameters holding a NUL character, when that is the cause."""
    errors: list[dict[str, Any]] = [
        {"parameter": name, "in": where, "detail": "must not contain a NUL character"}
        for where, items in (
            ("path", request.path_params.items()),
            ("query", request.query_params.multi_items()),
        )
        for name, value in items
        if isinstance(value, str) and "\x00" in value
    ]
    if errors:
        names = ", ".join(e["parameter"] for e in errors)
        return InvalidInput(f"Invalid request: {names} must not contain a NUL character.", errors=errors)
    return InvalidInput(
        "A value in the request cannot be stored (a NUL character, or a number out of range).",
        errors=[{"pointer": "#", "detail": "a value cannot be stored"}],
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        names = ", ".join(e.get("pointer") or e.get("parameter") or e.get("header") or "?" for e in errors)
        return problem_response(InvalidInput(f"Invalid request: {names}.", errors=errors), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slugs = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}
        problem = Problem(str(exc.detail), slug=slugs.get(exc.status_code, f"http-{exc.status_code}"))
        problem.status = exc.status_code
        problem.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Request failed")
        if exc.headers:
            problem.headers.update(exc.headers)
        return problem_response(problem, request)

    async def on_stale(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            PreconditionFailed(
                "The resource was changed by another request at the same time; reload and retry."
            ),
            request,
        )

    async def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IntegrityError)
        column = not_null_column(exc)
        if column is not None:  # a null the schema let through: the client's mistake, not a race
            return problem_response(
                InvalidInput(f"{column} may not be null.", field=column),
                request,
            )
        log.warning(
            "integrity error", extra={"path": request.url.path, "error": str(exc.__cause__ or exc)[:500]}
        )
        return problem_response(
            Conflict(
                "The request conflicts with data written at the same time (a duplicate?); reload and retry."
            ),
            request,
        )

    async def on_data_error(request: Request, exc: Exception) -> JSONResponse:
        # A value the schema let through but the database cannot hold: a NUL character in text on
        # PostgreSQL, a number out of a column's range. The client's input, so a 422, never a 500.
        log.warning("data error", extra={"path": request.url.path, "error": str(exc.__cause__ or exc)[:500]})
        return problem_response(data_error_problem(request), request)

    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(StaleDataError, on_stale)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": desc, "content": {PROBLEM_CONTENT_TYPE: {}}}
    for status, desc in [
        (401, "Missing or invalid API key"),
        (403, "Key lacks the scope or channel"),
        (422, "Invalid input (problem+json naming the fields)"),
        (429, "Rate limited (Retry-After)"),
    ]
}

# The problems the kernel answers for whole kinds of operation, declared in the OpenAPI document by
# `declare_problems` so that a client (or a generated one) knows to expect them.
_PROBLEM_DESCRIPTIONS = {
    "400": "The request could not be read (a malformed upload or signature)",
    "404": "A resource named in the path does not exist",
    "409": "Conflicts with the resource's current state or with a concurrent write",
    "412": "If-Match names a version that is no longer current",
}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_UPLOADS = frozenset({"multipart/form-data", "text/csv", "application/octet-stream"})


def _if_match_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of the routes that read If-Match."""
    found: set[tuple[str, str]] = set()

    def reads_if_match(dependant: Any) -> bool:
        return dependant.call is if_match or any(reads_if_match(d) for d in dependant.dependencies)

    areas: dict[str, Any] = getattr(app, "area_routers", {})
    for router in areas.values():
        for route in router.routes:
            if isinstance(route, APIRoute) and reads_if_match(route.dependant):
                found.update((route.path, method.lower()) for method in route.methods or ())
    return found


def declare_problems(schema: dict[str, Any], if_match_operations: set[tuple[str, str]]) -> None:
    """Add 400, 404, 409, 412 and 413 to the operations that can answer them: 404 where the path names
    a resource, 409 on writes, 412 where If-Match is read, 400 where a file is uploaded (413 is declared
    by the routes that limit an upload's size)."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            statuses: list[str] = []
            if "{" in path:
                statuses.append("404")
            if method in _WRITES:
                statuses.append("409")
            if (path, method) in if_match_operations:
                statuses.append("412")
            body = operation.get("requestBody", {}).get("content", {})
            if _UPLOADS.intersection(body):
                statuses.append("400")
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(
                    status,
                    {"description": _PROBLEM_DESCRIPTIONS[status], "content": {PROBLEM_CONTENT_TYPE: {}}},
                )
