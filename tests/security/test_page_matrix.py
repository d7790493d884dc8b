"""Every page under the same rules: no session → the sign-in page; each staff role admitted or refused as
its page policy says; every form post without the session's CSRF token refused."""

from __future__ import annotations

import re

from comptoir.core.access import ROLE_SCOPES, Role, scope_allows
from comptoir.core.api import api_routes, route_policy
from tests.support.staff import make_person, open_session

# The staff apps under the same rules: the domains' pages, the seller app and the back office.
PREFIXES = ("/pages", "/seller", "/back-office")


def pages(app):  # type: ignore[no-untyped-def]
    for route in api_routes(app.routes):
        dep = route_policy(route)
        if route.path.startswith(PREFIXES) and dep is not None and dep.policy.who == {"staff"}:
            yield route, dep.policy


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_page_under_its_policy(client, db) -> None:  # type: ignore[no-untyped-def]
    sessions = {}
    for role in Role:
        person = make_person(db, role)
        sessions[role] = open_session(db, person).token
    failures = []
    for route, rule in pages(client.app):
        for method in sorted(route.methods or ()):
            url = _url(route.path)
            client.cookies.clear()
            anonymous = client.request(method, url, follow_redirects=False)
            if anonymous.status_code != 303 or "/pages/sign-in" not in anonymous.headers.get("location", ""):
                failures.append(f"{method} {route.path} without a session: {anonymous.status_code}")
            for role, token in sessions.items():
                client.cookies.set("comptoir_staff", token)
                answer = client.request(method, url, follow_redirects=False)
                admitted = (
                    rule.area is None or scope_allows(ROLE_SCOPES[role], rule.area, rule.access)
                ) and (rule.roles is None or role in rule.roles)
                if method != "GET":
                    if answer.status_code != 403:  # no CSRF token sent
                        failures.append(f"{method} {route.path} as {role} without CSRF: {answer.status_code}")
                elif admitted and answer.status_code in (401, 403):
                    failures.append(
                        f"{method} {route.path} as {role}: {answer.status_code}, expected admitted"
                    )
                elif not admitted and answer.status_code != 403:
                    failures.append(f"{method} {route.path} as {role}: {answer.status_code}, expected 403")
    client.cookies.clear()
    assert failures == [], "\n".join(failures)


def shopper_pages(app):  # type: ignore[no-untyped-def]
    """The storefront's pages: (route, for signed-in shoppers only?)."""
    for route in api_routes(app.routes):
        dep = route_policy(route)
        if route.path.startswith("/shop") and dep is not None and "customer" in dep.policy.who:
            yield route, dep.policy.who == {"customer"}


def test_every_customer_page_asks_a_signed_in_shopper_and_a_csrf_token(client, db) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core import tokens
    from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
    from comptoir.storefront.session import SHOPPER_COOKIE

    settings = client.app.state.comptoir.settings
    shopper = tokens.sign(settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": "cus_nobody", "g": 0}, 600)
    failures = []
    routes = list(shopper_pages(client.app))
    assert any(signed_in for _, signed_in in routes), "the storefront's account pages are registered"
    for route, signed_in in routes:
        for method in sorted(route.methods or ()):
            url = _url(route.path)
            client.cookies.clear()
            anonymous = client.request(method, url, follow_redirects=False)
            if (
                signed_in
                and method == "GET"
                and (
                    anonymous.status_code != 303
                    or "/shop/sign-in" not in anonymous.headers.get("location", "")
                )
            ):
                failures.append(f"{method} {route.path} without a session: {anonymous.status_code}")
            if method != "GET" and anonymous.status_code != 403:  # no CSRF token: refused before anything
                failures.append(f"{method} {route.path} without CSRF: {anonymous.status_code}")
            client.cookies.set(SHOPPER_COOKIE, shopper)
            if method != "GET":
                answer = client.request(method, url, follow_redirects=False)
                if answer.status_code != 403:
                    failures.append(f"{method} {route.path} signed in without CSRF: {answer.status_code}")
    client.cookies.clear()
    assert failures == [], "\n".join(failures)


def test_every_public_page_refuses_a_form_without_its_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    """The public pages (signed links such as the unsubscribe and preference pages, the sign-in form): anyone
    opens them, and their forms are refused without the double-submit CSRF token, before anything is read."""
    routes = [
        route
        for route in api_routes(client.app.routes)
        if route.path.startswith(PREFIXES)
        and (dep := route_policy(route)) is not None
        and dep.policy.who == {"public"}
    ]
    assert any(route.path.startswith("/pages/engagement/preferences/") for route in routes)
    failures = []
    for route in routes:
        for method in sorted(route.methods or ()):
            client.cookies.clear()
            answer = client.request(method, _url(route.path), follow_redirects=False)
            if method == "GET" and answer.status_code >= 500:
                failures.append(f"{method} {route.path}: {answer.status_code}")
            if method != "GET" and answer.status_code != 403:
                failures.append(f"{method} {route.path} without CSRF: {answer.status_code}")
    client.cookies.clear()
    assert failures == [], "\n".join(failures)
