"""Requests go straight to their domain's routes (comptoir.app's area dispatch) without changing any match."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from comptoir.app import ComptoirAPI, _area_routers


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


def test_the_application_routes_each_domain_area(app) -> None:  # type: ignore[no-untyped-def]
    assert {"/v1/inventory", "/v1/pricing", "/v1/orders", "/pages/returns"} <= set(app.area_routers)
