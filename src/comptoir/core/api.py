"""FastAPI glue shared by every domain's router: the request context, scopes, If-Match, problems."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from comptoir.core import tokens
from comptoir.core.auth import Authenticator, check_scope, parse_token
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
    # Entry points of the reference pages: (title message id, path, package holding the translation).
    page_links: list[tuple[str, str, str]] = field(default_factory=list)


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


def require(
    area: str | None, access: Literal["read", "write"] = "read"
) -> Callable[..., Awaitable[RequestContext]]:
    """Dependency: a valid API key holding ``<area>:<access>`` (any valid key when ``area`` is None)."""

    async def dependency(request: Request) -> RequestContext:
        state = app_state(request)
        found = _credential_headers(request.scope["headers"])
        token = parse_token(found.get(b"authorization"), found.get(b"x-api-key"))
        actor = state.authenticator.authenticate(token, request_id=request_id_var.get())
        if area is not None:
            check_scope(actor, area, access)
        customer_token = found.get(b"x-customer-token")
        if customer_token:
            claims = tokens.verify(state.settings.secret_key, CUSTOMER_TOKEN_PURPOSE, customer_token)
            if claims is None or "sub" not in claims:
                raise Unauthorized("The customer token is invalid or has expired; sign in again.")
            actor = Actor(
                key_id=actor.key_id,
                channel=actor.channel,
                scopes=actor.scopes,
                customer_id=str(claims["sub"]),
                request_id=actor.request_id,
            )
        return RequestContext(state, actor)

    return dependency


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
            or not inspect.iscoroutinefunction(deps[0].call)
        ):
            raise TypeError(
                f"{self.path}: a LeanRoute endpoint is `async def (ctx: <require()>, request: Request)`."
            )
        return deps[0].call, (deps[0].name, dependant.request_param_name)


def openapi_security(app: FastAPI) -> None:
    """Declare the API-key schemes in the OpenAPI document so /docs offers "Authorize"."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{"bearer": []}, {"apiKey": []}]
            for path, operations in schema.get("paths", {}).items():
                if not path.startswith("/v1/"):  # health, metrics: open
                    for operation in operations.values():
                        operation["security"] = []
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


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
        log.warning(
            "integrity error", extra={"path": request.url.path, "error": str(exc.__cause__ or exc)[:500]}
        )
        return problem_response(
            Conflict(
                "The request conflicts with data written at the same time (a duplicate?); reload and retry."
            ),
            request,
        )

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
