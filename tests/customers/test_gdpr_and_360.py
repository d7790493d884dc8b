"""GDPR export and erasure, and the 360° view with its registry of sections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from comptoir.core.db import Base
from tests.customers.conftest import JEAN, MARIE
from tests.customers.test_ingestion import events
from tests.customers.test_routes import ingest

PERSONAL = [
    "Jean",
    "Dupont",
    "dupont",
    "DPN",
    "jean.dupont",
    "+33612345678",
    "Foch",
    "06000",
    "1980-12-31",
    "T-77",
    "29 0000",
    "jean@",
]


def customers_tables_text(db: Any) -> str:
    """Every value of every customers_* table, as one string."""
    chunks = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name.startswith("customers_"):
                for row in conn.execute(table.select()):
                    chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_erasure_leaves_no_personal_data_in_this_domain(client, db, admin_headers) -> None:
    jean = ingest(client, admin_headers, "web", **JEAN, loyalty_card="29 0000 1111")["customer_id"]
    other = ingest(client, admin_headers, "pos", given_name="Jean", family_name="Dupont", email="jean@orange.fr",
                   phone="0799887766", birth_date="1990-01-01")["customer_id"]  # fmt: skip
    marie = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    client.post(
        "/v1/customers/merges", json={"survivor_id": jean, "merged_ids": [other]}, headers=admin_headers
    )
    client.post(
        f"/v1/customers/{jean}/identifiers", json={"kind": "receipt", "value": "T-77"}, headers=admin_headers
    )
    client.put(f"/v1/customers/{jean}/segments", json={"segments": ["vip"]}, headers=admin_headers)
    client.post(
        f"/v1/customers/{jean}/consents",
        json={
            "statements": [
                {"purpose": "marketing", "channel": "email", "granted": True, "proof": {"ip": "1.2.3.4"}}
            ]
        },
        headers=admin_headers,
    )
    assert "Dupont" in customers_tables_text(db)

    response = client.delete(f"/v1/customers/{other}", headers=admin_headers)  # a merged id erases the person
    assert response.status_code == 200
    assert response.json()["erased_ids"] == sorted([jean, other])

    remaining = customers_tables_text(db)
    for value in PERSONAL:
        assert value not in remaining, value
    assert "Curie" in remaining  # other people are untouched
    shell = client.get(f"/v1/customers/{jean}", headers=admin_headers).json()
    assert shell["status"] == "erased" and shell["display_name"] == jean and shell["email"] is None
    assert client.get("/v1/customers/search", params={"q": "dupont"}, headers=admin_headers).json() == []
    assert [p for t, p in events(db) if t == "customers.customer_erased"] == [
        {"customer_id": jean, "erased_ids": sorted([jean, other])}
    ]
    assert client.get(f"/v1/customers/{marie}", headers=admin_headers).json()["family_name"] == "Curie"
    again = client.delete(f"/v1/customers/{jean}", headers=admin_headers)
    assert again.status_code == 409


def test_export_holds_everything_in_one_document(client, app, admin_headers) -> None:
    app.state.comptoir.customer_exports["orders"] = lambda uow, cid: {"open": [{"id": "ord_1"}]}
    jean = ingest(client, admin_headers, "web", **JEAN)["customer_id"]
    client.post(
        f"/v1/customers/{jean}/identifiers", json={"kind": "receipt", "value": "T-1"}, headers=admin_headers
    )
    client.post(
        f"/v1/customers/{jean}/consents",
        json={"statements": [{"purpose": "e-receipt", "channel": "email", "granted": True}]},
        headers=admin_headers,
    )
    body = client.get(f"/v1/customers/{jean}/export", headers=admin_headers).json()
    assert body["customer"]["email"] == "jean.dupont@gmail.com"
    assert [s["raw"]["given_name"] for s in body["source_records"]] == ["Jean"]
    assert [(c["purpose"], c["granted"]) for c in body["consents"]] == [("e-receipt", True)]
    assert body["identifiers"][0]["value"] == "T-1"
    # Every domain's part is in the export (its export, else its 360° section); orders' is a stand-in.
    assert body["sections"]["orders"] == {"open": [{"id": "ord_1"}]}
    assert set(body["sections"]) == set(app.state.comptoir.customer_exports) - {"customers"}
    assert {"orders", "receipts", "returns", "payments", "loyalty", "carts", "pricing"} <= set(
        body["sections"]
    )


def test_the_360_view_isolates_a_failing_section(client, app, db, admin_headers) -> None:
    def broken(uow: Any, customer_id: str) -> dict[str, Any]:
        uow.session.execute(text("SELECT * FROM no_such_table"))
        return {}

    sections = app.state.comptoir.customer_sections
    sections["aftersales"] = broken
    sections["loyalty"] = lambda uow, customer_id: {"points": 120, "customer": customer_id}
    jean = ingest(client, admin_headers, "web", **JEAN)["customer_id"]
    response = client.get(f"/v1/customers/{jean}/360", headers=admin_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["customer"]["id"] == jean
    assert body["sections"]["aftersales"] == {"error": "This section is unavailable right now."}
    assert body["sections"]["loyalty"] == {"points": 120, "customer": jean}
    own = body["sections"]["customers"]
    assert [s["source"] for s in own["sources"]] == ["web"]
    assert own["consents"] == [] and own["merges"] == []


def test_erasure_removes_the_persons_lines_from_the_sms_and_push_sandboxes(
    db, settings, tmp_path, admin_headers
) -> None:  # type: ignore[no-untyped-def]
    import json

    from fastapi.testclient import TestClient

    from comptoir.app import create_app
    from comptoir.core.messaging import PushMessage, SandboxPushSender, SandboxSmsSender, SmsMessage

    # given SMS and push sandboxes holding messages to Jean (two numbers, his record's and a merged
    # one's), to Marie, and a notification to another device that names Jean's e-mail
    sandbox = settings.model_copy(
        update={"sms_url": f"sandbox://{tmp_path / 'sms'}", "push_url": f"sandbox://{tmp_path / 'push'}"}
    )
    sms, push = SandboxSmsSender(tmp_path / "sms"), SandboxPushSender(tmp_path / "push")
    for to, reference in (("+33612345678", "s1"), ("+33798765432", "s2"), ("+33799887766", "s3")):
        sms.send(SmsMessage(to=to, text="Votre commande est prête.", reference=reference))
    push.send(
        PushMessage(token="device-marie", title="Prête", body="Votre commande", data={}, reference="p1")
    )
    push.send(
        PushMessage(token="device-x", title="Compte", body="jean.dupont@gmail.com", data={}, reference="p2")
    )
    headers = admin_headers
    with TestClient(create_app(sandbox, db=db), raise_server_exceptions=False) as client:
        jean = ingest(client, headers, "web", **JEAN)["customer_id"]
        other = ingest(client, headers, "pos", given_name="Jean", family_name="Dupont", email="jean@orange.fr",
                       phone="0799887766", birth_date="1990-01-01")["customer_id"]  # fmt: skip
        ingest(client, headers, "pos", **MARIE)
        merged = client.post(
            "/v1/customers/merges", json={"survivor_id": jean, "merged_ids": [other]}, headers=headers
        )
        assert merged.status_code in (200, 201), merged.text
        # when Jean is erased
        assert client.delete(f"/v1/customers/{jean}", headers=headers).status_code == 200

    # then the sandboxes keep Marie's lines only, and no temporary file is left behind
    def lines(folder: str) -> list[tuple[str, str]]:
        (path,) = (tmp_path / folder).iterdir()
        return [
            (r["reference"], r.get("to") or r["token"])
            for r in map(json.loads, path.read_text().splitlines())
        ]

    assert lines("sms") == [("s2", "+33798765432")]
    assert lines("push") == [("p1", "device-marie")]
