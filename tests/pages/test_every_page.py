"""Every page, as a person sees it: each GET page route without path parameters under /seller, /shop,
/back-office and /pages, plus the examples of tests/pages/urls.py, at tablet and phone sizes, in French
and English — no horizontal overflow, no raw ids or JSON keys, no string in the other language, no
serious or critical accessibility violation — and within the performance budget (first contentful
paint < 1 s, < 300 kB transferred, measured once per page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.urls import XFAIL, budget_viewport, every_page
from tests.support.browser import skip_reason

VIEWPORTS = ("tablet", "phone")
LANGS = ("fr", "en")


def pages() -> list[Any]:
    if skip_reason():
        return []
    params = []
    for url, role in every_page().items():
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
    if lang == "fr" and viewport == budget_viewport(url):
        perf_budget(page, url).assert_within_budget()
