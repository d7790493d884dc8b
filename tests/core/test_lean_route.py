"""``LeanRoute``: a hot route's context awaited without FastAPI's dependency solver and served as a Starlette
route, behind every middleware; FastAPI's own route app whenever the request is traced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from comptoir.app import ComptoirAPI, _area_routers
from comptoir.core.api import LeanRoute, install_problem_handlers, parse_query, query_model
from comptoir.core.errors import Forbidden


async def _context(request: Request) -> str:
    if request.headers.get("x-deny"):
        raise Forbidden("denied")
    return "ctx"


async def _hot(ctx: Annotated[str, Depends(_context)], request: Request) -> Response:
    if request.query_params.get("crash"):
        raise RuntimeError("disk on fire")
    return JSONResponse({"ctx": ctx, "q": request.scope["query_string"].decode()})


class _RecordingSpan(trace.NonRecordingSpan):
    def is_recording(self) -> bool:
        return True


class _Traced:
    """Makes every request's current span a recording one, as a tracing server middleware does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with trace.use_span(_RecordingSpan(trace.INVALID_SPAN_CONTEXT), end_on_exit=False):
            await self.app(scope, receive, send)


def _app(*, traced: bool = False) -> FastAPI:
    app = ComptoirAPI()
    install_problem_handlers(app)
    router = APIRouter(prefix="/v1/h")
    router.add_api_route("/fast", _hot, methods=["GET"], route_class_override=LeanRoute)
    app.include_router(router)
    app.area_routers = _area_routers([router])  # the application dispatches to the route itself
    if traced:
        app.add_middleware(_Traced)
    return app


@pytest.fixture
def solver_calls(monkeypatch) -> Iterator[list[int]]:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    yield calls


def test_the_context_is_awaited_directly_and_errors_are_problems(solver_calls) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(_app(), raise_server_exceptions=False)
    # Given a LeanRoute, When it is called, Then it answers without FastAPI's dependency solver
    assert client.get("/v1/h/fast?x=1").json() == {"ctx": "ctx", "q": "x=1"}
    assert solver_calls == []
    # And the dependency's error is the application's problem document, as on any route
    denied = client.get("/v1/h/fast", headers={"x-deny": "1"})
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/h/fast").status_code == 405
    assert client.get("/v1/h/fast?crash=1").status_code == 500


def test_a_traced_request_goes_through_fastapi_s_own_route(solver_calls) -> None:  # type: ignore[no-untyped-def]
    # Given a recording span around every request, When the route is called
    answer = TestClient(_app(traced=True)).get("/v1/h/fast?y=2")
    # Then FastAPI's route app served it (its operation spans are in the trace), with the same answer
    assert answer.json() == {"ctx": "ctx", "q": "y=2"}
    assert solver_calls == [1]


def test_through_include_router_alone_fastapi_serves_it_as_any_route(solver_calls) -> None:  # type: ignore[no-untyped-def]
    # Given a plain FastAPI application including the router (its own per-inclusion route app)
    app = FastAPI()
    router = APIRouter(prefix="/v1/h")
    router.add_api_route("/fast", _hot, methods=["GET"], route_class_override=LeanRoute)
    app.include_router(router)
    # Then the route answers the same, through FastAPI's handler (include-level dependencies kept)
    assert TestClient(app).get("/v1/h/fast?z=3").json() == {"ctx": "ctx", "q": "z=3"}
    assert solver_calls == [1]


def test_another_shape_is_refused_when_the_route_is_built() -> None:
    router = APIRouter()

    async def wrong(ctx: Annotated[str, Depends(_context)], request: Request, q: str) -> Response:
        return Response()

    with pytest.raises(TypeError, match="LeanRoute"):
        router.add_api_route("/wrong", wrong, methods=["GET"], route_class_override=LeanRoute)


def test_the_availability_route_is_lean(app) -> None:  # type: ignore[no-untyped-def]
    routes = app.area_routers["/v1/inventory"].routes
    found = [r for r in routes if getattr(r, "path", "") == "/v1/inventory/availability/nearest"]
    assert [type(r) for r in found] == [LeanRoute]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=&%+2Fé;x ", max_size=40))
def test_parse_query_reads_a_query_string_as_starlette_does(text: str) -> None:
    raw = text.encode("utf-8")
    assert parse_query(raw) == QueryParams(raw).multi_items()


class _Asked(BaseModel):
    sku: str = Field(min_length=1)
    limit: int = 5
    kind: list[str] | None = None


def _request(query: bytes) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": query})


def test_query_model_keeps_every_value_of_a_list_field_and_the_last_of_others() -> None:
    asked = query_model(_request(b"sku=a&sku=b&kind=store&kind=warehouse&limit=7"), _Asked)
    assert (asked.sku, asked.limit, asked.kind) == ("b", 7, ["store", "warehouse"])


def test_query_model_names_each_failing_parameter() -> None:
    with pytest.raises(RequestValidationError) as caught:
        query_model(_request(b"sku=&limit=many"), _Asked)
    assert {e["loc"] for e in caught.value.errors()} == {("query", "sku"), ("query", "limit")}
