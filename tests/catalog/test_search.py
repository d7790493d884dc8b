"""Search: words as prefixes, accents folded, French and English, facets and filters, channels."""

from __future__ import annotations

from typing import Any

from comptoir.catalog import search as search_module
from tests.catalog.conftest import dress_json
from tests.conftest import make_key

PRODUCTS = "/v1/catalog/products"


def _product(
    client: Any, headers: dict[str, str], code: str, fr: str, en: str, **overrides: Any
) -> dict[str, Any]:
    data = dress_json(code, name={"fr_FR": fr, "en_GB": en}, **overrides)
    response = client.post(PRODUCTS, json=data, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _catalogue(client: Any, headers: dict[str, str]) -> None:
    _product(client, headers, "ROBE-LIN", "Robe en lin d'été", "Summer linen dress", status="active")
    # (the other dress is silk; the shirt and the cushion are not filed under dresses)
    _product(
        client,
        headers,
        "ROBE-SOIE",
        "Robe longue en soie",
        "Long silk dress",
        brand="Boréale",
        composition="soie:100",
        attributes={"collar": "mao", "care": {"fr_FR": "Nettoyage à sec"}},
        status="active",
    )
    _product(
        client,
        headers,
        "CHEMISE-LIN",
        "Chemise rayée",
        "Striped shirt",
        category="women",
        description={"fr_FR": "Chemise légère en lin lavé.", "en_GB": "A light washed linen shirt."},
        variants=[{"sku": "CHEMISE-LIN-M", "size": "M", "colour": "blanc"}],
    )
    _product(
        client,
        headers,
        "COUSSIN",
        "Coussin en velours",
        "Velvet cushion",
        family="home",
        category="cushions",
        description={"fr_FR": "Un coussin moelleux.", "en_GB": "A soft cushion."},
        composition="coton:100",
        axes=[],
        attributes={"material": "velours"},
        variants=[{"sku": "COUSSIN-1"}],
        status="active",
    )


def _search(client: Any, headers: dict[str, str], query: str) -> dict[str, Any]:
    response = client.get(f"/v1/catalog/search?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _codes(result: dict[str, Any]) -> list[str]:
    return [hit["code"] for hit in result["hits"]]


def test_every_word_matches_as_a_prefix_without_accents(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    assert _codes(_search(client, admin_headers, "q=robe")) == ["ROBE-SOIE", "ROBE-LIN"]  # the newest first
    assert _codes(_search(client, admin_headers, "q=rob%20lin")) == ["ROBE-LIN"]
    assert _codes(_search(client, admin_headers, "q=ETE")) == ["ROBE-LIN"]
    assert _codes(_search(client, admin_headers, "q=velours")) == ["COUSSIN"]
    assert _search(client, admin_headers, "q=robe%20velours")["total"] == 0


def test_products_with_the_words_in_their_name_come_first(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    # "lin" is in the names of the dress and in the description of the shirt
    assert _codes(_search(client, admin_headers, "q=lin")) == ["ROBE-LIN", "CHEMISE-LIN"]


def test_english_searches_the_english_texts(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    result = _search(client, admin_headers, "q=silk&locale=en_GB")
    assert _codes(result) == ["ROBE-SOIE"]
    assert result["hits"][0]["name"] == "Long silk dress"
    assert _search(client, admin_headers, "q=longue&locale=en_GB")["total"] == 0


def test_facets_count_the_matches_and_filters_narrow_them(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    result = _search(client, admin_headers, "q=")
    assert result["total"] == 4
    assert result["facets_exhaustive"] is True
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in result["facets"].items()}
    assert facets["brand"] == {"Atelier Rivage": 3, "Boréale": 1}
    assert facets["category"] == {"women": 3, "dresses": 2, "home": 1, "cushions": 1}
    assert facets["collar"] == {"round": 2, "mao": 1}
    assert facets["colour"] == {"bleu": 2, "blanc": 1}
    assert facets["material"] == {"velours": 1}
    labels = {v["value"]: v["label"] for v in result["facets"]["category"]}
    assert labels["women"] == "Femme"

    assert _codes(_search(client, admin_headers, "brand=Bor%C3%A9ale")) == ["ROBE-SOIE"]
    assert _codes(_search(client, admin_headers, "category=women&filter=collar:round")) == [
        "CHEMISE-LIN",
        "ROBE-LIN",
    ]
    assert _codes(_search(client, admin_headers, "category=women&colour=blanc&colour=bleu&q=chemise")) == [
        "CHEMISE-LIN"
    ]
    assert _codes(_search(client, admin_headers, "status=draft")) == ["CHEMISE-LIN"]
    bad = client.get("/v1/catalog/search?filter=collar", headers=admin_headers)
    assert (bad.status_code, bad.json()["errors"][0]["parameter"]) == (422, "filter")


def test_a_channel_sees_only_active_products_published_there(client, admin_headers, taxonomy) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    client.post(
        f"{PRODUCTS}/COUSSIN/publications",
        json={"channel": "store", "locale": "fr_FR"},
        headers=admin_headers,
    )
    client.post(
        f"{PRODUCTS}/ROBE-LIN/publications",
        json={"channel": "store", "locale": "en_GB"},
        headers=admin_headers,
    )
    store = {"Authorization": f"Bearer {make_key(taxonomy, ['catalog:read'], channel='store:st_lyon')}"}

    assert _codes(_search(client, store, "q=")) == ["COUSSIN"]
    assert _codes(_search(client, store, "q=&locale=en_GB")) == ["ROBE-LIN"]
    assert _codes(_search(client, admin_headers, "q=&channel=store")) == ["COUSSIN"]
    client.delete(f"{PRODUCTS}/COUSSIN/publications/store/fr_FR", headers=admin_headers)
    assert _search(client, store, "q=")["total"] == 0


def test_updates_are_searchable_at_once(client, admin_headers, taxonomy, dispatcher) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    client.patch(f"{PRODUCTS}/COUSSIN", json={"name": {"fr_FR": "Coussin brodé"}}, headers=admin_headers)
    assert _codes(_search(client, admin_headers, "q=brode")) == ["COUSSIN"]
    assert _search(client, admin_headers, "q=coussin%20velours")["total"] == 1  # the material attribute

    # a renamed category is searchable once the worker has reindexed its products
    client.patch(
        "/v1/catalog/categories/cushions", json={"name": {"fr_FR": "Galettes"}}, headers=admin_headers
    )
    dispatcher.drain()
    assert _codes(_search(client, admin_headers, "q=galettes")) == ["COUSSIN"]


def test_facet_counts_are_estimated_beyond_the_sample(client, admin_headers, taxonomy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _catalogue(client, admin_headers)
    monkeypatch.setattr(search_module, "FACET_SAMPLE", 2)
    result = _search(client, admin_headers, "q=")
    assert (result["total"], result["facets_exhaustive"]) == (4, False)
    assert sum(v["count"] for v in result["facets"]["brand"]) == 4
    exact = _search(client, admin_headers, "q=&exact_facets=true")
    assert exact["facets_exhaustive"] is True
