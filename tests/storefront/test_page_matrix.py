"""Every storefront page under the same rules: it declares who may call it (the shopper's policy), answers
a stranger with a page (never a server error nor problem+json), and refuses a form post without its
CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from comptoir.core.api import api_routes, route_policy
from comptoir.storefront.session import ShopperPolicy

pytestmark = pytest.mark.usefixtures("boutique")


def shop_routes(app):  # type: ignore[no-untyped-def]
    for route in api_routes(app.routes):
        if route.path.startswith("/shop"):
            yield route


def test_every_shop_page_declares_the_shoppers_policy(app) -> None:  # type: ignore[no-untyped-def]
    routes = list(shop_routes(app))
    assert len(routes) >= 15
    for route in routes:
        assert isinstance(route_policy(route), ShopperPolicy), route.path


def test_strangers_get_pages_and_forms_need_their_token(client: TestClient) -> None:
    failures = []
    for route in shop_routes(client.app):
        url = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in sorted(route.methods or ()):
            answer = client.request(method, url, follow_redirects=False)
            if answer.status_code >= 500:
                failures.append(f"{method} {route.path}: {answer.status_code}")
            elif answer.status_code >= 400 and not answer.headers.get("content-type", "").startswith(
                "text/html"
            ):
                failures.append(f"{method} {route.path}: {answer.status_code} not a page")
            if method == "POST" and answer.status_code != 403:
                failures.append(f"{method} {route.path} without CSRF: {answer.status_code}")
    assert failures == [], "\n".join(failures)
