"""Catalogue search as shoppers type (issue 15, item 14): in the request's language, forgiving a typo,
with every facet value labelled."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.catalog.demo import load_demo
from comptoir.core.uow import UnitOfWork
from tests.conftest import make_key


@pytest.fixture
def demo_catalogue(db, settings) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        load_demo(uow, settings)
        uow.commit()


@pytest.fixture
def web(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_key(db, ['catalog:read'], channel='web')}"}


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["name"] for hit in response.json()["hits"]]


@pytest.mark.usefixtures("demo_catalogue")
def test_an_english_speaking_shopper_finds_shirts_without_naming_a_locale(
    client: Any, web: dict[str, str]
) -> None:
    # given / when "shirt" is searched by a browser asking for English first
    found = client.get(
        "/v1/catalog/search",
        params={"q": "shirt"},
        headers={**web, "Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"},
    )
    # then English names of shirts come back
    names = _names(found)
    assert names and all("shirt" in name.lower() for name in names)
    # and without Accept-Language the shop's default, French, is searched
    assert _names(client.get("/v1/catalog/search", params={"q": "chemise"}, headers=web))


@pytest.mark.usefixtures("demo_catalogue")
def test_a_one_letter_typo_still_finds_the_product(client: Any, web: dict[str, str]) -> None:
    exact = _names(client.get("/v1/catalog/search", params={"q": "chemise", "limit": 100}, headers=web))
    typo = _names(client.get("/v1/catalog/search", params={"q": "chemse", "limit": 100}, headers=web))
    assert exact and typo == exact


@pytest.mark.usefixtures("demo_catalogue")
def test_every_facet_value_has_a_localised_label(client: Any, web: dict[str, str]) -> None:
    found = client.get("/v1/catalog/search", params={"q": "chemise", "locale": "en_GB"}, headers=web)
    facets = found.json()["facets"]
    assert [v for values in facets.values() for v in values if not v["label"]] == []
    assert {v["value"]: v["label"] for v in facets["collar"]}.get("chemise") == "Shirt collar"
