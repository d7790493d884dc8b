"""Requests go straight to their domain's routes (comptoir.app's area dispatch) without changing any match."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import APIRouter, FastAPI, Request, WebSocket
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


def test_websockets_are_dispatched_by_their_path_alone() -> None:
    # Given a WebSocket route inside an area (a WebSocket scope has no "method")
    app = small_app()
    ws = APIRouter(prefix="/v1/ws")

    @ws.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app.include_router(ws)
    app.area_routers = _area_routers([ws])
    # When a client talks to it, Then it is served through the area's router
    with TestClient(app) as client, client.websocket_connect("/v1/ws/echo") as socket:
        socket.send_text("bonjour")
        assert socket.receive_text() == "bonjour"


def test_the_lifespan_passes_through_to_the_application() -> None:
    # Given an application whose lifespan records its start and end
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        seen.append("start")
        yield
        seen.append("stop")

    app = ComptoirAPI(lifespan=lifespan)
    app.area_routers = {}
    # When a client opens and closes it, Then both ends of the lifespan ran
    with TestClient(app):
        assert seen == ["start"]
    assert seen == ["start", "stop"]


def test_an_apps_home_of_one_segment_is_an_area_of_its_own() -> None:
    # Given apps whose home page is one segment, beside a route below it
    app = ComptoirAPI()
    shop = APIRouter(prefix="/shop")
    seller = APIRouter(prefix="/seller")

    @shop.get("")
    def shop_home() -> dict[str, str]:
        return {"page": "shop"}

    @shop.get("/cart")
    def cart() -> dict[str, str]:
        return {"page": "cart"}

    @seller.get("")
    def seller_home() -> dict[str, str]:
        return {"page": "seller"}

    for router in (shop, seller):
        app.include_router(router)
    app.area_routers = _area_routers([shop, seller])
    # Then each home has its own area and answers from it, as does the page below it
    assert {"/shop", "/seller", "/shop/cart"} <= set(app.area_routers)
    client = TestClient(app)
    assert client.get("/seller").json() == {"page": "seller"}
    assert client.get("/shop").json() == {"page": "shop"}
    assert client.get("/shop/cart").json() == {"page": "cart"}
    assert client.get("/elsewhere").status_code == 404


def test_the_application_routes_its_apps_homes_by_area(app) -> None:  # type: ignore[no-untyped-def]
    assert {"/shop", "/seller", "/back-office", "/healthz"} <= set(app.area_routers)


def test_a_router_included_in_another_is_refused() -> None:
    # Given a domain router holding a topic router (its routes would be invisible to the area index)
    outer = APIRouter()
    inner = APIRouter(prefix="/shop/cart")

    @inner.get("")
    def cart() -> dict[str, str]:
        return {}

    outer.include_router(inner)
    with pytest.raises(ValueError, match="includes another"):
        _area_routers([outer])
