"""``comptoir.core.cors.CORS`` answers exactly as Starlette's ``CORSMiddleware`` it derives from."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from comptoir.core.cors import CORS

SHOP = "https://shop.example.com"


def _page(request: Request) -> PlainTextResponse:
    vary = request.query_params.get("vary")
    return PlainTextResponse("ok", headers={"Vary": vary} if vary else None)


def _client(middleware: type[CORSMiddleware], options: dict[str, Any]) -> TestClient:
    app = Starlette(
        routes=[Route("/page", _page, methods=["GET", "POST"])],
        middleware=[Middleware(middleware, **options)],
    )
    return TestClient(app)


CONFIGURATIONS = [
    {"allow_origins": [SHOP], "allow_methods": ["*"], "allow_headers": ["*"], "expose_headers": ["ETag"]},
    {"allow_origins": ["*"]},
    {"allow_origins": ["*"], "allow_credentials": True, "expose_headers": ["X-Request-ID"]},
    {"allow_origins": [], "allow_origin_regex": r"https://.*\.example\.com"},
]
REQUESTS = [
    ("GET", "/page", {}),
    ("GET", "/page", {"Origin": SHOP}),
    ("GET", "/page?vary=Accept-Language", {"Origin": SHOP}),
    ("GET", "/page?vary=Accept-Language", {}),
    ("POST", "/page", {"Origin": "https://evil.example"}),
    ("OPTIONS", "/page", {"Origin": SHOP, "Access-Control-Request-Method": "GET"}),
    (
        "OPTIONS",
        "/page",
        {"Origin": SHOP, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"},
    ),
    ("OPTIONS", "/page", {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}),
    ("OPTIONS", "/page", {"Origin": SHOP}),
]


@pytest.mark.parametrize("options", CONFIGURATIONS)
@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_the_same_answer_as_starlette_s(options, method, path, headers) -> None:  # type: ignore[no-untyped-def]
    # Given both middlewares configured alike, When the same request reaches each
    ours = _client(CORS, options).request(method, path, headers=headers)
    theirs = _client(CORSMiddleware, options).request(method, path, headers=headers)
    # Then status, body and every header (order of the CORS ones apart) are the same
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
    assert sorted(ours.headers.multi_items()) == sorted(theirs.headers.multi_items())


def test_a_repeated_origin_is_answered_from_the_cache_alike() -> None:
    client = _client(CORS, CONFIGURATIONS[0])
    first = client.get("/page", headers={"Origin": SHOP})
    second = client.get("/page", headers={"Origin": SHOP})
    assert (
        first.headers["access-control-allow-origin"] == second.headers["access-control-allow-origin"] == SHOP
    )
    assert second.headers["vary"] == "Origin"


def _edge_client(options: dict[str, Any]) -> TestClient:
    """The application's edge: the request middleware answering CORS itself (``cors=``), as ``create_app``
    wires it, with no CORS middleware of its own."""
    from comptoir.core.observability import Metrics, RequestMiddleware

    app = Starlette(
        routes=[Route("/page", _page, methods=["GET", "POST"])],
        middleware=[Middleware(RequestMiddleware, metrics=Metrics(), cors=CORS(None, **options))],
    )
    return TestClient(app)


@pytest.mark.parametrize("options", CONFIGURATIONS)
@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_the_request_middleware_answers_cors_as_starlette_does(options, method, path, headers) -> None:  # type: ignore[no-untyped-def]
    # Given the edge with CORS folded in, and Starlette's middleware, When the same request reaches each
    ours = _edge_client(options).request(method, path, headers={**headers, "X-Request-ID": "r-1"})
    theirs = _client(CORSMiddleware, options).request(method, path, headers=headers)
    # Then the same answer, plus the request id (once, on preflights too)
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
    assert ours.headers.get_list("x-request-id") == ["r-1"]
    mine = sorted(item for item in ours.headers.multi_items() if item[0] != "x-request-id")
    assert mine == sorted(theirs.headers.multi_items())
