"""The stores API end to end: create, read, change with If-Match, hours, nearest, import, CLI, pages."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.core.uow import UnitOfWork
from comptoir.stores import service
from tests.conftest import make_key
from tests.stores.factories import WEEKDAYS_10_19
from tests.support.staff import sign_in_pages

BODY = {
    "id": "st_lyon_republique",
    "code": "LYON-REP",
    "name": "Comptoir Lyon République",
    "address": {
        "lines": ["60 rue de la République"],
        "postal_code": "69002",
        "locality": "Lyon",
        "region": "Auvergne-Rhône-Alpes",
    },
    "latitude": 45.762,
    "longitude": 4.836,
    "phone": "04 78 42 05 17",
    "services": ["click_and_collect", "ship_from_store"],
    "hours": {"weekly": WEEKDAYS_10_19},
}


def test_create_read_and_change_with_if_match(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/v1/stores/places", json=BODY, headers=admin_headers)
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/stores/places/st_lyon_republique"
    assert created.headers["etag"] == '"1"'
    got = client.get("/v1/stores/places/st_lyon_republique", headers=admin_headers)
    assert got.json()["phone"] == "+33478420517"
    changed = client.patch(
        "/v1/stores/places/st_lyon_republique",
        json={"name": "Comptoir Lyon"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
    stale = client.patch(
        "/v1/stores/places/st_lyon_republique",
        json={"name": "Stale"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    listed = client.get(
        "/v1/stores/places", params={"service": "ship_from_store"}, headers=admin_headers
    ).json()
    assert [p["id"] for p in listed["items"]] == ["st_lyon_republique"]
    assert (
        client.get("/v1/stores/places", params={"service": "drive"}, headers=admin_headers).json()["items"]
        == []
    )


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"phone": "12"}, "#/phone"),
        ({"timezone": "Mars/Olympus"}, "#/timezone"),
        ({"hours": {"weekly": [{"day": "monday", "opens": "19:00", "closes": "09:00"}]}}, "#/hours/weekly/0"),
        ({"services": ["teleportation"]}, "#/services/0"),
        ({"latitude": 91}, "#/latitude"),
    ],
)
def test_bad_input_names_the_field(client, admin_headers, change, pointer) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/v1/stores/places", json={**BODY, **change}, headers=admin_headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert client.get("/v1/stores/places", headers=admin_headers).json()["items"] == []


def test_hours_opening_week_and_special_days(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    client.post("/v1/stores/places", json=BODY, headers=admin_headers)
    added = client.post(
        "/v1/stores/places/st_lyon_republique/special-days",
        json=[{"date": "2026-12-25", "closed": True, "reason": "Noël"}],
        headers=admin_headers,
    )
    assert added.status_code == 200
    opening = client.get(
        "/v1/stores/places/st_lyon_republique/opening",
        params={"at": "2026-12-25T11:00:00+01:00"},
        headers=admin_headers,
    ).json()
    assert opening["open_now"] is False
    assert opening["opens_at"] == "2026-12-26T09:00:00Z"
    week = client.get(
        "/v1/stores/places/st_lyon_republique/week", params={"date": "2026-12-23"}, headers=admin_headers
    ).json()
    assert [(d["weekday"], d["closed"], d["reason"]) for d in week["days"]][3:5] == [
        ("thursday", False, ""),
        ("friday", True, "Noël"),
    ]
    naive = client.get(
        "/v1/stores/places/st_lyon_republique/opening",
        params={"at": "2026-12-25T11:00:00"},
        headers=admin_headers,
    )
    assert naive.status_code == 422
    batch = client.get(
        "/v1/stores/opening-status",
        params={"ids": "st_lyon_republique", "at": "2026-12-24T11:00:00+01:00"},
        headers=admin_headers,
    )
    assert batch.json()["st_lyon_republique"]["open"] is True
    jsonld = client.get("/v1/stores/places/st_lyon_republique/render/jsonld", headers=admin_headers).json()
    assert jsonld["@type"] == "Store"


def test_nearest_by_postcode_and_errors(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    client.post("/v1/stores/places", json=BODY, headers=admin_headers)
    near = client.get(
        "/v1/stores/nearest",
        params={"postcode": "69003", "service": "click_and_collect"},
        headers=admin_headers,
    )
    assert near.status_code == 200
    assert [i["place"]["id"] for i in near.json()["items"]] == ["st_lyon_republique"]
    assert client.get("/v1/stores/nearest", params={"postcode": "99999"}, headers=admin_headers).json()[
        "errors"
    ] == [{"pointer": "#/postcode", "detail": "'99999' is not a French postcode we know."}]
    assert client.get("/v1/stores/nearest", params={"lat": 45.7}, headers=admin_headers).status_code == 422


def test_store_keys_and_read_only_keys(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    client.post("/v1/stores/places", json=BODY, headers=admin_headers)
    client.post("/v1/stores/places", json={**BODY, "id": "st_other", "code": "OTHER"}, headers=admin_headers)
    seller = {"Authorization": f"Bearer {make_key(db, ['stores:write'], channel='store:st_lyon_republique')}"}
    assert (
        client.post(
            "/v1/stores/places/st_lyon_republique/close", json={"reason": "Inventaire"}, headers=seller
        ).status_code
        == 200
    )
    assert client.post("/v1/stores/places/st_other/close", json={}, headers=seller).status_code == 403
    bulk = client.post(
        "/v1/stores/bulk/status",
        json={"selector": {"place_ids": ["st_other"]}, "status": "open"},
        headers=seller,
    )
    assert bulk.status_code == 403
    reader = {"Authorization": f"Bearer {make_key(db, ['stores:read'])}"}
    assert client.post("/v1/stores/places", json=BODY, headers=reader).status_code == 403
    unknown = client.post(
        "/v1/stores/bulk/status",
        json={"selector": {"place_ids": ["st_nope"]}, "status": "open"},
        headers=admin_headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/selector/place_ids"


CSV = """id,store_code,name,address_line_1,postal_code,locality,region,phone,services,weekly_hours,special_days
st_tours,TOURS,Comptoir Tours,60 rue Nationale,37000,Tours,Centre-Val de Loire,02 47 05 66 38,click_and_collect|returns,Mo 14:00-19:00; Tu-Sa 10:00-19:00,2026-12-25 closed
st_bad,BAD,Comptoir Bad,1 rue X,37000,Tours,,,teleportation,Mo 10:00-19:00,
st_worse,WORSE,Comptoir Worse,1 rue X,37000,Tours,,,,Mo 19:00-10:00,
"""


def test_import_over_the_api_reports_bad_rows(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/stores/import", files={"file": ("stores.csv", CSV.encode(), "text/csv")}, headers=admin_headers
    )
    report = response.json()
    assert (report["created"], report["updated"]) == (1, 0)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "services/0"), (4, "row")]
    tours = client.get("/v1/stores/places/st_tours", headers=admin_headers).json()
    assert (tours["latitude"], tours["longitude"]) == (47.3948, 0.704)  # geocoded from the postcode
    assert tours["special_days"][0]["date"] == "2026-12-25"
    again = client.post(
        "/v1/stores/import", files={"file": ("stores.csv", CSV.encode(), "text/csv")}, headers=admin_headers
    )
    assert (again.json()["created"], again.json()["updated"]) == (0, 1)


def test_cli_import_and_bulk_close(db, settings, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    path = tmp_path / "stores.jsonl"
    path.write_text(
        '{"id": "st_dijon", "name": "Comptoir Dijon", "address": {"lines": ["40 rue de la Liberté"], "postal_code": "21000", '
        '"locality": "Dijon", "region": "Bourgogne-Franche-Comté"}, "latitude": 47.322, "longitude": 5.038}\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    try:
        imported = runner.invoke(app, ["import", "stores", str(path)])
        assert imported.exit_code == 0, imported.output
        assert "1 created, 0 updated, 0 error(s)" in imported.output
        closed = runner.invoke(app, ["stores", "close", "--department", "21", "--reason", "Grève"])
        assert closed.exit_code == 0, closed.output
        assert "1 of 1 place(s) changed; 4 publication(s) queued" in closed.output
    finally:
        get_settings.cache_clear()
    with UnitOfWork(db, read_only=True) as uow:
        place = service.get_place(uow, "st_dijon")
    assert (place.status, place.status_reason) == ("temporarily_closed", "Grève")


def test_the_back_office_page_lists_and_closes(client, admin_headers, db) -> None:  # type: ignore[no-untyped-def]
    client.post("/v1/stores/places", json=BODY, headers=admin_headers)
    sign_in_pages(client, db)
    page = client.get("/pages/stores?lang=fr")
    assert page.status_code == 200
    assert "Comptoir Lyon République" in page.text
    assert "Fermer ou rouvrir plusieurs lieux" in page.text
    done = client.post(
        "/pages/stores/bulk-status",
        data={"region": "Auvergne-Rhône-Alpes", "status": "temporarily_closed", "reason": "Travaux"},
    )
    assert done.status_code == 200
    assert "Fermé temporairement" in done.text


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_bulk_commands_serialise_without_lost_updates(
    client, admin_headers, db, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    for i in range(30):
        client.post(
            "/v1/stores/places",
            json={**BODY, "id": f"st_p_{i:02d}", "code": f"P-{i:02d}"},
            headers=admin_headers,
        )
    errors: list[int] = []

    def run(status: str, reason: str) -> None:
        for _ in range(5):
            r = client.post(
                "/v1/stores/bulk/status",
                json={"selector": {"region": "Auvergne-Rhône-Alpes"}, "status": status, "reason": reason},
                headers=admin_headers,
            )
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [
        threading.Thread(target=run, args=args)
        for args in [("temporarily_closed", "A"), ("open", ""), ("temporarily_closed", "B")]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    dispatcher.drain()
    with UnitOfWork(db, read_only=True) as uow:
        places = service.all_places(uow)
    # Every place's latest publication on each channel shows its final status, and each is applied in-process
    gbp_status = {"open": "OPEN", "temporarily_closed": "CLOSED_TEMPORARILY"}
    for place in places:
        pubs = {
            p["channel"]: p
            for p in client.get(f"/v1/stores/places/{place.id}/publications", headers=admin_headers).json()
        }
        assert pubs["gbp"]["payload"]["location"]["openInfo"]["status"] == gbp_status[place.status]
        assert pubs["locator"]["status"] == "applied"
        assert pubs["locator"]["payload"]["status_reason"] == place.status_reason
    audit = client.get("/v1/stores/audit", params={"channel": "locator"}, headers=admin_headers).json()
    assert audit["contradictions"] == []
