"""Requests go straight to their domain's routes (comptoir.app's area dispatch) without changing any match."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from comptoir.app import ComptoirAPI, _area_routers, _hot_routes
from comptoir.core.api import ContextRoute, install_problem_handlers
from comptoir.core.errors import Forbidden


def small_app() -> ComptoirAPI:
    app = ComptoirAPI()
    a = APIRouter(prefix="/v1/a")
    b = APIRouter(prefix="/v1/b")
    kernel = APIRouter(prefix="/v1")

    @a.get("/x")
    def x(request: Request) -> dict[str, str]:
        return {"link": str(request.url_for("y"))}

    @a.get("/{item}")
    def item(item: str) -> dict[str, str]:
        return {"item": item}

    @b.get("/y", name="y")
    def y() -> dict[str, str]:
        return {"area": "b"}

    @kernel.get("/me")
    def me() -> dict[str, str]:
        return {"area": "kernel"}

    app.include_router(kernel)
    for router in (a, b):
        app.include_router(router)
    app.area_routers = _area_routers([a, b])
    return app


def test_each_area_answers_its_own_paths_and_the_rest_falls_through() -> None:
    client = TestClient(small_app())
    assert client.get("/v1/b/y").json() == {"area": "b"}
    assert client.get("/v1/a/other").json() == {"item": "other"}
    assert client.get("/v1/me").json() == {"area": "kernel"}
    assert client.get("/v1/c/anything").status_code == 404
    assert client.post("/v1/b/y").status_code == 405


def test_links_built_inside_an_area_reach_every_route_of_the_application() -> None:
    client = TestClient(small_app())
    assert client.get("/v1/a/x").json() == {"link": "http://testserver/v1/b/y"}


def test_a_parameter_in_the_first_two_segments_is_refused() -> None:
    loose = APIRouter()

    @loose.get("/v1/{anything}/x")
    def anything(anything: str) -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="must be fixed"):
        _area_routers([loose])


def test_the_application_routes_each_domain_area(app) -> None:  # type: ignore[no-untyped-def]
    assert {"/v1/inventory", "/v1/pricing", "/v1/orders", "/pages/returns", "/v1/me", "/v1/keys"} <= set(
        app.area_routers
    )


async def _context(request: Request) -> str:
    if request.headers.get("x-deny"):
        raise Forbidden("denied")
    return "ctx"


async def _hot(ctx: Annotated[str, Depends(_context)], request: Request) -> Response:
    return JSONResponse({"ctx": ctx, "q": request.scope["query_string"].decode()})


def hot_app() -> ComptoirAPI:
    app = ComptoirAPI()
    install_problem_handlers(app)
    shadowed = APIRouter(prefix="/v1/s")

    @shadowed.get("/{anything}")
    def anything(anything: str) -> dict[str, str]:
        return {"shadow": anything}

    shadowed.add_api_route("/fast", _hot, methods=["GET"], route_class_override=ContextRoute)
    clear = APIRouter(prefix="/v1/h")
    clear.add_api_route("/fast", _hot, methods=["GET"], route_class_override=ContextRoute)
    for router in (shadowed, clear):
        app.include_router(router)
    app.area_routers = _area_routers([shadowed, clear])
    return app


def test_a_hot_route_is_found_by_its_path_unless_a_route_before_it_takes_the_request() -> None:
    app = hot_app()
    assert set(_hot_routes(app.area_routers)) == {"/v1/h/fast"}
    client = TestClient(app)
    assert client.get("/v1/h/fast?x=1").json() == {"ctx": "ctx", "q": "x=1"}
    assert client.get("/v1/s/fast").json() == {"shadow": "fast"}
    denied = client.get("/v1/h/fast", headers={"x-deny": "1"})
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/h/fast").status_code == 405


def test_a_context_route_refuses_other_parameters() -> None:
    router = APIRouter()

    async def wrong(ctx: Annotated[str, Depends(_context)], request: Request, q: str) -> Response:
        return Response()

    with pytest.raises(TypeError, match="ContextRoute"):
        router.add_api_route("/wrong", wrong, methods=["GET"], route_class_override=ContextRoute)


NEAREST = "/v1/inventory/availability/nearest?sku=NONE-1&lat=48.85&lon=2.35"


def test_the_hot_lane_serves_a_hot_route_with_the_request_middleware_s_work(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(NEAREST, headers={**admin_headers, "X-Request-ID": "req-hot-1"})
    assert answer.status_code == 200
    assert answer.json()["places"] == []
    assert answer.headers["x-request-id"] == "req-hot-1"
    assert client.app.hot_lane is not None  # no CORS and no plugin middleware in the test settings
    metrics = client.get("/metrics").text
    assert 'route="/v1/inventory/availability/nearest",status="200"' in metrics


def test_the_hot_lane_answers_errors_as_the_stack_does(client, admin_headers, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    unauthenticated = client.get(NEAREST)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"].startswith("application/problem+json")
    invalid = client.get("/v1/inventory/availability/nearest?sku=X&lat=999&lon=2", headers=admin_headers)
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [
        {"detail": "Input should be less than or equal to 90", "parameter": "lat", "in": "query"}
    ]

    from comptoir.inventory import service

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "nearest_json", broken)
    crashed = TestClient(client.app, raise_server_exceptions=False).get(NEAREST, headers=admin_headers)
    assert crashed.status_code == 500
    assert crashed.headers["content-type"].startswith("application/problem+json")
    assert "disk on fire" not in crashed.text
    assert crashed.headers["x-request-id"] in crashed.json()["detail"]


def test_no_hot_lane_when_another_middleware_must_see_every_request(settings, db) -> None:  # type: ignore[no-untyped-def]
    from comptoir.app import create_app

    app = create_app(settings.model_copy(update={"cors_origins": ["https://shop.example"]}), db=db)
    with TestClient(app) as client:
        answer = client.get(NEAREST, headers={"Origin": "https://shop.example"})
        assert answer.status_code == 401
        assert answer.headers["access-control-allow-origin"] == "https://shop.example"
    assert app.hot_lane is None
