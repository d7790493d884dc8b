"""Staff notes on a customer: written by an employee, listed newest first, in the 360° view and the
export, refused when empty or too long, and gone with the person."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from comptoir.core.context import Actor
from comptoir.core.errors import Conflict, InvalidInput
from comptoir.customers import service
from tests.conftest import make_key
from tests.customers.conftest import JEAN, MARIE
from tests.customers.test_routes import ingest
from tests.support.staff import make_person, staff_headers


def test_a_note_is_signed_by_the_employee_and_listed_newest_first(db, step, ingest) -> None:
    jean = ingest("pos", **JEAN).customer_id
    person = make_person(db, "seller")
    seller = Actor(kind="staff", staff_id=person.id, channel="store:st_paris_rivoli")
    with step(seller) as uow:
        first = service.add_note(uow, jean, "  Préfère le lin lavé.  ", seller)
    with step(seller) as uow:
        service.add_note(uow, jean, "Rappeler pour la retouche du pantalon.", seller)
    assert (first.body, first.author_id, first.author_name) == (
        "Préfère le lin lavé.",
        person.id,
        person.name,
    )
    with step() as uow:
        notes = service.notes_of(uow, jean, 20)
        assert [n.body for n in notes] == ["Rappeler pour la retouche du pantalon.", "Préfère le lin lavé."]
        assert [n.body for n in service.notes_of(uow, jean, 1)] == ["Rappeler pour la retouche du pantalon."]


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_an_empty_or_too_long_note_is_refused(step, ingest, body: str) -> None:
    jean = ingest("pos", **JEAN).customer_id
    with step() as uow, pytest.raises(InvalidInput):
        service.add_note(uow, jean, body, Actor(kind="staff", staff_id=None))
    with step() as uow:
        service.add_note(uow, jean, "x" * 2000, Actor(kind="staff"))  # exactly at the limit


def test_the_api_is_for_staff_and_the_360_lists_the_latest_notes(client, db, admin_headers) -> None:
    jean = ingest(client, admin_headers, "web", **JEAN)["customer_id"]
    seller = staff_headers(db, "seller")
    for n in range(7):
        answer = client.post(f"/v1/customers/{jean}/notes", json={"body": f"Note {n}"}, headers=seller)
        assert answer.status_code == 201, answer.text
        assert answer.json()["author_name"] == "Test seller"
    listed = client.get(f"/v1/customers/{jean}/notes", headers=seller).json()
    assert [n["body"] for n in listed] == [f"Note {n}" for n in reversed(range(7))]
    view = client.get(f"/v1/customers/{jean}/360", headers=admin_headers).json()
    assert [n["body"] for n in view["sections"]["customers"]["notes"]] == ["Note 6", "Note 5", "Note 4",
                                                                           "Note 3", "Note 2"]  # fmt: skip
    too_long = client.post(f"/v1/customers/{jean}/notes", json={"body": "x" * 2001}, headers=seller)
    assert too_long.status_code == 422
    web = {"Authorization": f"Bearer {make_key(db, ['customers:read'], channel='web')}"}
    assert client.get(f"/v1/customers/{jean}/notes", headers=web).status_code in (401, 403)
    assert client.get("/v1/customers/nobody/notes", headers=seller).status_code == 404


def test_notes_are_exported_then_erased_with_the_person(client, db, admin_headers, step) -> None:
    jean = ingest(client, admin_headers, "web", **JEAN)["customer_id"]
    marie = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    for who, body in ((jean, "Jean Dupont veut être rappelé au 06 12 34 56 78"), (marie, "Cliente fidèle")):
        assert (
            client.post(f"/v1/customers/{who}/notes", json={"body": body}, headers=admin_headers).status_code
            == 201
        )
    export: dict[str, Any] = client.get(f"/v1/customers/{jean}/export", headers=admin_headers).json()
    assert [n["body"] for n in export["notes"]] == ["Jean Dupont veut être rappelé au 06 12 34 56 78"]
    assert client.delete(f"/v1/customers/{jean}", headers=admin_headers).status_code == 200
    with db.engine.connect() as conn:
        bodies = conn.execute(text("SELECT customer_id, body FROM customers_notes")).all()
    assert [tuple(b) for b in bodies] == [(marie, "Cliente fidèle")]
    with step() as uow, pytest.raises(Conflict):
        service.add_note(uow, jean, "Trop tard", Actor(kind="staff"))
