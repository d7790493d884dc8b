"""The seller's tablet pages, in French and English, on the same services as the API."""

from __future__ import annotations

import pytest

from tests.customers.conftest import JEAN
from tests.customers.test_routes import ingest
from tests.support.staff import sign_in_pages


@pytest.fixture
def seller(client, db):
    sign_in_pages(client, db, "service_agent")
    return client


def test_pages_need_a_signed_in_seller(client) -> None:
    response = client.get("/pages/customers", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/pages/sign-in")


def test_search_as_you_type_then_the_360_view(seller, admin_headers) -> None:
    customer_id = ingest(seller, admin_headers, "web", **JEAN)["customer_id"]
    page = seller.get("/pages/customers?lang=fr")
    assert page.status_code == 200 and "Rechercher un client" in page.text
    partial = seller.get("/pages/customers/results", params={"q": "dupnot"}, headers={"HX-Request": "true"})
    assert f'href="/pages/customers/{customer_id}"' in partial.text and "<html" not in partial.text
    view = seller.get(f"/pages/customers/{customer_id}?lang=fr")
    assert view.status_code == 200
    for text in (
        "Jean Dupont",
        "Référentiel client unique",
        "Site web",
        "jean.dupont@gmail.com",
        "Consentements",
    ):
        assert text in view.text
    english = seller.get(f"/pages/customers/{customer_id}?lang=en")
    assert "Single customer record" in english.text and "Website" in english.text


def test_reviews_are_decided_in_place_and_merges_undone(seller, admin_headers) -> None:
    first = ingest(seller, admin_headers, "web", **JEAN)["customer_id"]
    second = ingest(seller, admin_headers, "pos", given_name="Jean", family_name="Dupont", birth_date="1980-12-31",
                    email="jd@free.fr", phone="0711223344")  # fmt: skip
    (review_id,) = second["review_ids"]
    queue = seller.get("/pages/customers/reviews?lang=en")
    assert f"review-{review_id}" in queue.text and "Same person: merge" in queue.text
    decided = seller.post(
        f"/pages/customers/reviews/{review_id}/accept?lang=en", headers={"HX-Request": "true"}
    )
    assert decided.status_code == 200 and "Merged" in decided.text
    merged_away = seller.get(f"/pages/customers/{second['customer_id']}", follow_redirects=False)
    assert merged_away.headers["location"] == f"/pages/customers/{first}"
    merge_id = seller.get(f"/v1/customers/{first}/merges", headers=admin_headers).json()[0]["id"]
    undone = seller.post(f"/pages/customers/merges/{merge_id}/undo", headers={"HX-Request": "true"})
    assert undone.status_code == 204 and undone.headers["HX-Redirect"] == f"/pages/customers/{first}"
    assert (
        seller.get(f"/v1/customers/{second['customer_id']}", headers=admin_headers).json()["id"]
        == second["customer_id"]
    )


def test_a_read_only_key_cannot_decide(client, db, admin_headers) -> None:
    ingest(client, admin_headers, "web", **JEAN)
    sign_in_pages(client, db, "seller", ["paris-1"])
    response = client.post("/pages/customers/reviews/rev_x/accept")
    assert response.status_code == 403
