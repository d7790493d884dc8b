"""Staff search: names with typos and sound-alikes, e-mail, phone, loyalty card, receipt number."""

from __future__ import annotations

import pytest

from comptoir.customers import profiles, search
from tests.customers.conftest import JEAN, MARIE


@pytest.fixture
def people(ingest, step) -> dict[str, str]:
    ids = {
        "jean": ingest("web", **JEAN, loyalty_card="29 1111 2222").customer_id,
        "marie": ingest("pos", **MARIE).customer_id,
        "philippe": ingest(
            "pos", given_name="Philippe", family_name="Lefèvre", phone="0611111111"
        ).customer_id,
        "jeanne": ingest(
            "pos", given_name="Jeanne", family_name="Dupuis", email="jeanne@free.fr"
        ).customer_id,
    }
    with step() as uow:
        profiles.add_identifier(uow, ids["marie"], "receipt", "T-2025-000987")
    return ids


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("Jean Dupont", "jean"),
        ("dupont jean", "jean"),
        ("Dupnot", "jean"),  # letters swapped
        ("Dupond", "jean"),  # sounds the same
        ("Duppont Jaen", "jean"),  # two typos
        ("curie", "marie"),
        ("Curi", "marie"),  # still typing
        ("Filip Lefevre", "philippe"),  # sounds alike, no accent
        ("JEAN.DUPONT@GMAIL.COM", "jean"),
        ("06 12 34 56 78", "jean"),
        ("+33 7 98 76 54 32", "marie"),
        ("2911112222", "jean"),  # loyalty card
        ("T-2025-000987", "marie"),  # receipt number
    ],
)
def test_staff_find_customers_despite_typos(people, step, query: str, who: str) -> None:
    with step() as uow:
        hits = search.search(uow, query)
    assert hits and hits[0].customer.id == people[who], [h.customer.display_name for h in hits]


def test_unrelated_queries_find_nobody(people, step) -> None:
    with step() as uow:
        assert search.search(uow, "Zylberstein") == []
        assert search.search(uow, "x") == []
        assert search.search(uow, "nobody@example.org") == []


def test_search_follows_merges(people, step) -> None:
    from comptoir.customers import merging

    with step() as uow:
        merging.merge(uow, people["jean"], [people["jeanne"]], reason="staff")
    with step() as uow:
        hits = search.search(uow, "jeanne@free.fr")
    assert [h.customer.id for h in hits] == [people["jean"]]
