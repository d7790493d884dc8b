"""Every page, as a person sees it: each GET page route without path parameters under /seller, /shop,
/back-office and /pages, plus the examples of tests/pages/urls.py, at tablet and phone sizes, in French
and English — no horizontal overflow, no raw ids or JSON keys, no string in the other language, no
serious or critical accessibility violation — and within the performance budget (first contentful
paint < 1 s, < 300 kB transferred, measured once per page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.pages.urls import EXAMPLES, XFAIL
from tests.support.browser import skip_reason

APPS = ("/seller", "/shop", "/back-office", "/pages")
PUBLIC_PREFIXES = ("/shop", "/pages/sign-in")
VIEWPORTS = ("tablet", "phone")
LANGS = ("fr", "en")


def _routes() -> Iterator[tuple[str, str | None]]:
    """(path, the role to sign in with, None for public pages) of every page route without parameters."""
    from comptoir.app import create_app
    from comptoir.core.access import ROLE_SCOPES, Role, scope_allows
    from comptoir.core.api import api_routes, route_policy
    from comptoir.core.settings import Settings

    app = create_app(
        Settings(env="test", database_url="sqlite:///never-opened.db", secret_key="x" * 40, dispatcher="off")
    )
    for route in api_routes(app.routes):
        if not route.path.startswith(APPS) or "{" in route.path or "GET" not in (route.methods or ()):
            continue
        if route.include_in_schema or any(
            param.field_info.is_required() for param in route.dependant.query_params
        ):
            continue  # an API route, or a page that needs a query (list an example URL in urls.py)
        dep = route_policy(route)
        if dep is None or dep.policy.who != {"staff"}:
            yield route.path, None
            continue
        rule = dep.policy
        admitted = [
            role
            for role in Role
            if (rule.area is None or scope_allows(ROLE_SCOPES[role], rule.area, rule.access))
            and (rule.roles is None or role in rule.roles)
        ]
        role = Role.ADMIN if Role.ADMIN in admitted else (admitted[0] if admitted else Role.ADMIN)
        yield route.path, role.value


def pages() -> list[Any]:
    if skip_reason():
        return []
    found = dict(_routes())
    for urls in EXAMPLES.values():
        for url in urls:
            found.setdefault(url, None if url.startswith(PUBLIC_PREFIXES) else "admin")
    params = []
    for url, role in sorted(found.items()):
        for viewport in VIEWPORTS:
            for lang in LANGS:
                reason = XFAIL.get(f"{url}@{viewport}") or XFAIL.get(f"{url}@{lang}") or XFAIL.get(url)
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
                params.append(
                    pytest.param(url, role, viewport, lang, id=f"{url}-{viewport}-{lang}", marks=marks)
                )
    return params


@pytest.mark.parametrize(("url", "role", "viewport", "lang"), pages())
def test_page(new_page, check_page, perf_budget, url, role, viewport, lang):
    page = new_page(lang, viewport, role=role)
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    if not response.text().lstrip()[:15].lower().startswith("<!doctype html"):
        pytest.skip("an HTMX fragment, not a page: checked inside the page that loads it")
    if role and not url.startswith("/pages/sign-in"):
        assert "/pages/sign-in" not in page.url, f"{url}: sent to the sign-in page as {role}"
    check_page(page, url.strip("/").replace("/", "-") or "root")
    if lang == "fr" and viewport == ("phone" if url.startswith("/shop") else "tablet"):
        perf_budget(page, url).assert_within_budget()
