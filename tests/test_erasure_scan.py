"""GDPR erasure reaches every domain, proved by scanning everything the platform stores.

Given a customer with data in every domain — an account (verified), consents, an open cart, orders
of each kind (home delivery, click & collect, reserve & collect, a till sale with its e-receipt), a
return with a comment refunded as a voucher, loyalty points, idempotent requests, webhooks delivered
to a receiver that echoes them, e-mails in the development mail folder — when the export is taken
and then the person is erased, then every column of every table, the mail and media folders and the
files exported after the erasure hold none of their unique (accented) e-mail, names, phone or
street, in any of their normalised or encoded forms; and the export taken before held every
domain's data. A table with personal-looking columns must either have been reached by this scan
(the person's data was in it before erasure) or be declared free of personal data below.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.db import Base, Database
from comptoir.core.erasure import _mail_text
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.normalisation import strip_accents
from tests.conftest import make_key
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    CARD,
    LIN_M,
    LIN_S,
    OPERA,
    RIVOLI,
    SOIE_M,
    SOIE_S,
    WAREHOUSE,
    checkout,
    headers,
    new_cart,
    shop,
    step,
    stocked,
)
from tests.returns.conftest import STAFF, programme  # noqa: F401 (fixtures)
from tests.support.staff import make_person
from tests.support.webhook_receiver import LOCAL_NETWORKS

pytestmark = pytest.mark.usefixtures("stocked", "programme")

EMAIL_TYPED = "Zoéline.Quérat-7X@Exemple.fr"
EMAIL = "zoéline.quérat-7x@exemple.fr"
GIVEN, FAMILY = "Zoéline", "Vermandoîs-Quérat"
PHONE_TYPED, PHONE_E164, PHONE_NATIONAL = "06 47 29 18 53", "+33647291853", "0647291853"
STREET = "7 impasse des Églantières-Xù"
PASSWORD = "une-phrase-de-passe-bien-longue"
ADDRESS = {
    "name": f"{GIVEN} {FAMILY}",
    "line1": STREET,
    "postcode": "75005",
    "city": "Paris",
    "phone": PHONE_TYPED,
    "latitude": 48.8443,
    "longitude": 2.3447,
}
COMMENT = f"Trop petite pour {GIVEN}, rappeler au {PHONE_TYPED}"
SURVEY_COMMENT = f"Livreur très aimable avec {GIVEN} {FAMILY}, joignable au {PHONE_TYPED}"
PUSH_TOKEN = "apns:4f9c2e7d1b3a86e0-push-device-token-qk"  # her phone's, from the push provider

# Tables with personal-looking columns that hold nobody's personal data, and why.
PERSONAL_DATA_FREE = {
    "catalog_assets": "product images: titles, files and rights holders of products",
    "catalog_attributes": "product attribute labels",
    "catalog_categories": "category names",
    "catalog_families": "product family labels",
    "catalog_products": "product names and descriptions",
    "catalog_search_texts": "product search text",
    "catalog_variants": "product variants",
    "core_api_keys": "names of API keys (systems and devices)",
    "core_webhook_subscriptions": "the retailer's endpoints and their descriptions",
    "inventory_places": "stores and warehouses",
    "orders_transitions": "staff notes on a fulfilment's steps (carriers, shelves), not the customer's",
    "orders_exit_passes": "a sale's exit pass: the employee who checked it at the door, not the customer",
    "pricing_price_lists": "price list names",
    "pricing_promotions": "promotion names",
    "stores_channel_snapshots": "stores as published to channels",
    "stores_locator_entries": "store locator entries",
    "stores_places": "stores: their public e-mail, phone and manager's name (business contacts)",
    "stores_publications": "stores as published",
    "returns_policy": "the retailer's return policy",
    "loyalty_programmes": "the programme's rules",
    "payments_refunds": "refund references (return numbers) and reasons chosen from a list",
    "inventory_counts": "stock count references",
    "inventory_movements": "stock movement references",
    "core_job_leases": "names of periodic jobs",
    "customers_match_models": "the identity model: weights per comparison level, counts of the most common names (linked to no one)",
    "core_staff_people": "employees (their own sign-in identity), not customers",
    "customers_distinct_pairs": "two customer ids and a reason from a fixed list",
    "customers_merges": "ids moved by a merge and a reason from a fixed list",
    "payments_payments": "failure reasons are the provider's codes",
    "payments_payment_events": "state changes with reason codes",
    "appointments_services": "the services offered: their names and descriptions",
    "appointments_advisors": "employees taking appointments (their names), not customers",
    "appointments_resources": "rooms and studios",
    "appointments_leaves": "employees' leaves and their reasons",
    "appointments_sessions": "workshop occurrences: a service, an advisor, a time and seat counts (capacity)",
    "engagement_messages": "which step went when and the engine's reasons (no content, no address); deleted at "
    "erasure all the same",
    "engagement_suppressions": "bounced addresses as keyed hashes (HMAC with the app's secret): nothing readable",
    "payments_provider_events": "the provider's notifications about a payment (the embedded sandbox sends no "
    "personal data); a person's are emptied at erasure all the same (payments/erasure.py)",
}
PERSONAL_COLUMN_HINTS = (
    "email",
    "phone",
    "name",
    "address",
    "street",
    "city",
    "postcode",
    "birth",
    "comment",
    "note",
    "payload",
    "document",
    "raw",
    "response_body",
    "response_excerpt",
    "title",
    "description",
    "reason",
)


def needles() -> dict[str, str]:
    """Every form the person's values can take in stored text, case-folded, with what it stands for."""
    values = {
        "email": EMAIL,
        "given name": GIVEN,
        "family name": FAMILY,
        "family name (part)": "Vermandoîs",
        "street": "Églantières-Xù",
        "phone E.164": PHONE_E164,
        "phone national": PHONE_NATIONAL,
        "phone as typed": PHONE_TYPED,
        "push device token": PUSH_TOKEN,
    }
    out: dict[str, str] = {}
    for label, value in values.items():
        for form, shown in (
            (value, ""),
            (json.dumps(value)[1:-1], " JSON-escaped"),
            (quote(value, safe="@"), " URL-encoded"),
            (quote_plus(value, safe="@"), " form-encoded"),
            (strip_accents(value), " without accents"),
        ):
            out.setdefault(form.casefold(), label + shown)
    return out


def found_in(text_: str, forms: dict[str, str]) -> list[str]:
    folded = text_.casefold()
    return sorted({label for form, label in forms.items() if form in folded})


def _cell_texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        return [bytes(value).decode("utf-8", "replace")]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False), json.dumps(value)]
    return [str(value)]


def scan_database(db: Database) -> dict[str, list[str]]:
    """``table.column`` -> the labels of the person's values found in it."""
    forms = needles()
    hits: dict[str, set[str]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    for cell in _cell_texts(value):
                        if labels := found_in(cell, forms):
                            hits.setdefault(f"{table.name}.{column}", set()).update(labels)
        if db.is_postgres:  # what the ORM does not map (full-text indexes, hand-made tables) too
            names = conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalars()
            mapped = set(Base.metadata.tables)
            for name in sorted(set(names) - mapped - {"alembic_version"}):
                for row in conn.execute(text(f'SELECT * FROM "{name}"')).mappings():
                    for column, value in row.items():
                        for cell in _cell_texts(value):
                            if labels := found_in(cell, forms):
                                hits.setdefault(f"{name}.{column}", set()).update(labels)
    return {k: sorted(v) for k, v in sorted(hits.items())}


def scan_folder(folder: Path) -> dict[str, list[str]]:
    forms = needles()
    hits: dict[str, list[str]] = {}
    if not folder.exists():
        return hits
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace")]
        if path.suffix == ".eml":
            texts.append(_mail_text(raw))
        if labels := sorted({label for t in texts for label in found_in(t, forms)}):
            hits[str(path.relative_to(folder))] = labels
    return hits


@pytest.fixture
def settings(settings: Any) -> Any:
    """The webhook receiver listens on 127.0.0.1: its network is allowed explicitly."""
    return settings.model_copy(update={"webhook_allowed_networks": LOCAL_NETWORKS})


@pytest.fixture
def echo_receiver() -> Iterator[str]:
    """A webhook receiver that answers with what it got (the delivery log keeps an excerpt)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def one_mail_folder(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Handlers reading the process settings send into the app's mail folder too."""
    monkeypatch.setenv("COMPTOIR_MAIL_URL", settings.mail_url)
    get_settings.cache_clear()
    yield Path(settings.mail_url[len("file://") :])
    get_settings.cache_clear()


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def sign_up_and_verify(client: Any, dispatcher: Any, web_key: str, folder: Path) -> dict[str, Any]:
    body = {
        "email": EMAIL_TYPED,
        "password": PASSWORD,
        "given_name": GIVEN,
        "family_name": FAMILY,
        "phone": PHONE_TYPED,
        "birth_date": "1991-04-17",
        "consents": [
            {"purpose": "marketing", "channel": "email", "granted": True},
            {"purpose": "satisfaction-surveys", "channel": "email", "granted": True},
        ],
    }
    ok(client.post("/v1/customers/accounts", json=body, headers=headers(web_key)), 202)
    dispatcher.drain()
    (mail,) = folder.glob("*.eml")
    link = next(w for w in _mail_text(mail.read_bytes()).split() if "token=" in w)
    token = link.split("token=", 1)[1].split("&")[0].strip()
    body = {"token": token, "password": PASSWORD}
    return ok(client.post("/v1/customers/sessions/link", json=body, headers=headers(web_key)))


def fulfil(client: Any, staff: dict[str, str], order: dict[str, Any], actions: tuple[str, ...]) -> None:
    for fulfilment in order["fulfilments"]:
        for action in actions:
            step(client, staff, fulfilment["id"], action)


def a_customer_in_every_domain(
    client: Any, db: Database, dispatcher: Any, folder: Path, hook_url: str
) -> dict[str, Any]:
    admin = headers(make_key(db, ["*"]))
    ok(
        client.post(
            "/v1/webhooks/subscriptions", json={"url": hook_url, "event_types": ["*"]}, headers=admin
        ),
        201,
    )
    web_key = make_key(db, ["*:read", "carts:write", "orders:write", "customers:write", "payments:write",
                            "returns:write", "appointments:write", "live:write"], channel="web")  # fmt: skip
    session = sign_up_and_verify(client, dispatcher, web_key, folder)
    me, web = session["customer_id"], headers(web_key, session["token"])
    warehouse = headers(make_key(db, STAFF))
    rivoli = headers(make_key(db, [*STAFF, "receipts:write"], channel=f"store:{RIVOLI}"))
    # orders of each kind; the home delivery is idempotent (its response is kept with the key)
    home = checkout(client, web, new_cart(client, web, [(LIN_S, 1)]), idempotency_key="zoe-home-1",
                    mode="home_delivery", address=ADDRESS, tenders=[CARD], note=f"Sonner chez {FAMILY}")  # fmt: skip
    home = ok(home, 201)
    fulfil(client, warehouse, home, ("allocate", "pick", "ship", "deliver"))
    ok(checkout(client, web, new_cart(client, web, [(SOIE_M, 1)]), mode="click_and_collect",
                pickup_place_id=OPERA, tenders=[CARD]), 201)  # fmt: skip
    ok(checkout(client, web, new_cart(client, web, [(LIN_S, 1)]), mode="reserve_and_collect",
                pickup_place_id=RIVOLI), 201)  # fmt: skip
    sale = ok(checkout(client, rivoli, new_cart(client, rivoli, [(SOIE_S, 1)]), mode="store_sale",
                       tenders=[CARD], customer_id=me, email=EMAIL_TYPED, receipt_by_email=True), 201)  # fmt: skip
    # a return with the customer's comment, refunded as a voucher
    returned = ok(client.post("/v1/returns", json={"order_id": home["id"], "method": "in_store",
        "place_id": RIVOLI, "refund_to": "voucher",
        "note": f"Colis au nom de {GIVEN} {FAMILY}",
        "lines": [{"line_id": home["lines"][0]["line_id"], "quantity": 1, "comment": COMMENT}]}, headers=web), 201)  # fmt: skip
    ok(client.post(f"/v1/returns/{returned['id']}/receive", json={}, headers=rivoli))
    ok(client.post(f"/v1/returns/{returned['id']}/refund", headers=rivoli))
    # a goodwill gesture on her loyalty account, its reason naming her
    ok(client.post(f"/v1/loyalty/accounts/{me}/adjustments",
                   json={"points": 50, "reason": f"Geste commercial pour {GIVEN} {FAMILY}"}, headers=admin), 201)  # fmt: skip
    # a staff note naming her, written at the shop
    note = {"body": f"{GIVEN} {FAMILY} préfère être appelée au {PHONE_TYPED}"}
    ok(client.post(f"/v1/customers/{me}/notes", json=note, headers=rivoli), 201)
    # an appointment she booked with a note, done with the advisor's notes naming her; a waitlist entry
    an_appointment(client, db, admin, web)
    # an open cart and a wishlist
    new_cart(client, web, [(LIN_M, 1)])
    ok(client.put(f"/v1/carts/wishlist/{SOIE_M}", headers=web))
    # a live video call: her name and a message to call her back, then a session with notes and chat
    a_live_session(client, db, web, me)
    # her phone, registered for push notifications by her app
    device = {"token": PUSH_TOKEN, "platform": "ios", "language": "fr-FR"}
    ok(client.post("/v1/engagement/devices", json=device, headers=web), 201)
    dispatcher.drain()  # receipts issued and mailed, points earned, webhooks delivered
    # her answer to the survey about her delivered order, from her app, with a comment naming her
    messages = client.get(f"/v1/engagement/customers/{me}/messages", headers=web).json()
    survey = next(m["id"] for m in messages if m["template"] == "survey_nps")
    ok(client.post("/v1/engagement/surveys/answers", json={"message_id": survey, "score": 9,
                   "comment": SURVEY_COMMENT}, headers=web))  # fmt: skip
    return {"id": me, "web": web, "admin": admin, "home": home, "sale": sale, "return": returned}


def a_live_session(client: Any, db: Database, web: dict[str, str], me: str) -> None:
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import ServiceIn
    from comptoir.live.models import Chat, Session

    with UnitOfWork(db) as uow:
        appointments.create_service(uow, ServiceIn(code="consultation-video", kind="video",
            names={"fr": "Vidéo", "en": "Video"}, duration_min=30, channels=["web"], skills=["video"],
            location="virtual"))  # fmt: skip
        uow.commit()
    asked = ok(client.post("/v1/live/requests", json={"name": f"{GIVEN} {FAMILY}", "postcode": "75011"},
                           headers=web), 201)  # fmt: skip
    ticket = {"X-Live-Ticket": asked["ticket"]}
    left = client.post(f"/v1/live/requests/{asked['id']}/message", json={"message": f"Rappelez-moi au {PHONE_TYPED}",
        "contact": EMAIL}, headers={**web, **ticket})  # fmt: skip
    assert left.status_code == 204, left.text
    with UnitOfWork(db) as uow:
        uow.session.add(Session(id="lse_zoe", request_id="lrq_zoe_session", advisor_id="stf_x", customer_id=me,
            topic="robe", language="fr", status="ended", postcode="75011", notes=f"{GIVEN} aime le lin",
            recommended=[], order_ids=[], started_at=clock.now(), report={"notes": f"{GIVEN} aime le lin"}))  # fmt: skip
        uow.session.flush()
        uow.session.add(
            Chat(session_id="lse_zoe", by="customer", text=f"Je suis {GIVEN} {FAMILY}", at=clock.now())
        )
        uow.commit()


def an_appointment(client: Any, db: Database, admin: dict[str, str], web: dict[str, str]) -> None:
    service = ok(client.post("/v1/appointments/services", json={"code": "retouches", "kind": "alterations",
        "names": {"fr": "Retouches", "en": "Alterations"}, "duration_min": 30, "channels": ["web"],
        "place_ids": [RIVOLI], "min_notice_min": 0}, headers=admin), 201)  # fmt: skip
    advisor = make_person(db, Role.ADVISOR, [RIVOLI])
    week = [{"day": d, "start": "10:00", "end": "19:00", "place_id": RIVOLI}
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")]  # fmt: skip
    ok(client.put(f"/v1/appointments/advisors/{advisor.id}", json={"place_ids": [RIVOLI], "weekly": week},
                  headers=admin))  # fmt: skip
    found = ok(
        client.get("/v1/appointments/slots", params={"service_id": service["id"], "days": 14}, headers=web)
    )
    place = found["places"][0]
    day = place["days"][0]
    start = datetime.fromisoformat(f"{day['date']}T{day['times'][0]}").replace(
        tzinfo=ZoneInfo(place["timezone"])
    )
    booked = ok(client.post("/v1/appointments", json={"slot": {"service_id": service["id"], "place_id": RIVOLI,
        "starts_at": start.isoformat()}, "note": f"Ourlet pour {GIVEN}, joignable au {PHONE_TYPED}"}, headers=web), 201)  # fmt: skip
    ok(client.post(f"/v1/appointments/{booked['id']}/check-in", headers=admin))
    ok(client.post(f"/v1/appointments/{booked['id']}/complete",
                   json={"notes": f"{GIVEN} {FAMILY} : ourlet de 3 cm"}, headers=admin))  # fmt: skip
    ok(client.post("/v1/appointments/waitlist", json={"service_id": service["id"], "first_day": "2031-01-01",
        "last_day": "2031-01-05"}, headers=web), 201)  # fmt: skip


def test_erasure_leaves_nothing_of_the_person_anywhere(  # type: ignore[no-untyped-def]
    client, db, settings, dispatcher, one_mail_folder, echo_receiver, tmp_path
) -> None:
    # given a customer with data in every domain
    zoe = a_customer_in_every_domain(client, db, dispatcher, one_mail_folder, echo_receiver)
    before = scan_database(db)
    # when she exports her data, then the export holds every domain's part
    export = ok(client.get(f"/v1/customers/{zoe['id']}/export", headers=zoe["web"]))
    sections = export["sections"]
    assert export["customer"]["email"] == EMAIL and export["accounts"][0]["email"] == EMAIL
    assert sorted((c["purpose"], c["granted"]) for c in export["consents"]) == [
        ("marketing", True),
        ("satisfaction-surveys", True),
    ]
    orders = {o["mode"]: o for o in sections["orders"]["orders"]}
    assert set(orders) == {"home_delivery", "click_and_collect", "reserve_and_collect", "store_sale"}
    assert orders["home_delivery"]["address"]["line1"] == STREET
    assert orders["store_sale"]["email"].casefold() == EMAIL
    assert [r["order_id"] for r in sections["receipts"]["receipts"]] == [zoe["sale"]["id"]]
    assert [line["comment"] for r in sections["returns"]["returns"] for line in r["lines"]] == [COMMENT]
    assert [g["kind"] for g in sections["payments"]["gift_cards"]] == ["voucher"]
    assert {p["order_id"] for p in sections["payments"]["payments"]} >= {zoe["home"]["id"], zoe["sale"]["id"]}
    assert sections["loyalty"]["account"]["balance"] > 0 and sections["loyalty"]["entries"]
    assert sections["carts"]["open_cart"] is not None
    assert [item["sku"] for item in sections["carts"]["wishlist"]] == [SOIE_M]
    (appointment,) = sections["appointments"]["appointments"]
    assert GIVEN in appointment["customer_note"] and FAMILY in appointment["advisor_notes"]
    assert len(sections["appointments"]["waitlist"]) == 1
    # her orders', her appointment's, her receipt's (its e-mail) and her welcome, with their messages
    journeys = sections["engagement"]["journeys"]
    codes = sorted(j["journey_code"] for j in journeys)
    assert [c for c in codes if not c.startswith("survey_")] == [
        "appointment",
        "e_receipt",
        "order",
        "order",
        "order",
        "welcome",
    ]
    assert [c for c in codes if c.startswith("survey_")] == ["survey_appointment", "survey_order_delivered"]
    assert [a["comment"] for a in sections["engagement"]["survey_answers"]] == [SURVEY_COMMENT]
    assert all(j["messages"] for j in journeys)
    assert [d["token"] for d in sections["engagement"]["devices"]] == [PUSH_TOKEN]
    assert [r["contact"] for r in sections["live"]["requests"]] == [EMAIL]
    assert [c["text"] for c in sections["live"]["chat"]] == [f"Je suis {GIVEN} {FAMILY}"]
    assert [n["body"] for n in export["notes"]] == [f"{GIVEN} {FAMILY} préfère être appelée au {PHONE_TYPED}"]
    exported = json.dumps(export, ensure_ascii=False)
    assert found_in(exported, needles()) and STREET in exported and COMMENT in exported
    # and the scan saw her data where expected before the erasure (the e-mail typed for her receipt in the
    # journey that wrote it: engagement_instances)
    reached = {name.split(".")[0] for name in before}
    assert {"customers_customers", "orders_orders", "receipts_receipts", "returns_lines",
            "core_outbox_events", "core_idempotency_keys", "core_webhook_attempts", "customers_notes",
            "appointments_appointments", "engagement_devices", "engagement_survey_answers",
            "engagement_instances", "live_requests", "live_sessions", "live_chat"} <= reached  # fmt: skip
    assert scan_folder(one_mail_folder)

    # when she is erased and every domain has handled it
    ok(client.delete(f"/v1/customers/{zoe['id']}", headers=zoe["web"]))
    dispatcher.drain()

    # then nothing of her is left in any table, column, folder or export
    assert scan_database(db) == {}
    with db.engine.connect() as conn:  # her wishlist holds only ids: gone all the same
        assert conn.execute(text("SELECT count(*) FROM carts_wishlist_items")).scalar() == 0
    assert scan_folder(one_mail_folder) == {}
    assert scan_folder(settings.media_dir) == {}
    order = ok(client.get(f"/v1/orders/{zoe['home']['id']}", headers=zoe["admin"]))
    assert (order["email"], order["address"]) == (None, None)
    assert order["totals"] == zoe["home"]["totals"]  # the accounting record stays
    assert client.get(f"/v1/orders/{zoe['home']['id']}", headers=zoe["web"]).status_code == 401
    cursor: str | None = None
    while True:  # the event log as /v1/events reads it
        page = ok(
            client.get(
                "/v1/events",
                headers=zoe["admin"],
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            )
        )
        assert found_in(json.dumps(page, ensure_ascii=False), needles()) == []
        if not (cursor := page["next_cursor"]):
            break
    # exported files written after the erasure (the 360° view and the orders' list, as staff export them)
    out = tmp_path / "exports"
    out.mkdir()
    (out / "orders.json").write_text(client.get("/v1/orders", headers=zoe["admin"]).text, encoding="utf-8")
    (out / "customer-360.json").write_text(
        client.get(f"/v1/customers/{zoe['id']}/360", headers=zoe["admin"]).text, encoding="utf-8"
    )
    assert scan_folder(out) == {}
    assert Decimal(order["totals"]["total"]) > 0


def test_every_table_with_personal_looking_columns_is_scanned_or_declared_free(  # type: ignore[no-untyped-def]
    client, db, settings, dispatcher, one_mail_folder, echo_receiver
) -> None:
    """A domain added later must be reached by the erasure scan or say why it holds no personal data."""
    a_customer_in_every_domain(client, db, dispatcher, one_mail_folder, echo_receiver)
    reached = {name.split(".")[0] for name in scan_database(db)}
    personal_looking = {
        table.name
        for table in Base.metadata.sorted_tables
        if any(hint in column.name for column in table.columns for hint in PERSONAL_COLUMN_HINTS)
    }
    unexplained = sorted(personal_looking - reached - set(PERSONAL_DATA_FREE))
    assert unexplained == [], "scan these tables in the erasure test or declare them personal-data-free"
    assert sorted(set(PERSONAL_DATA_FREE) & reached) == []  # nothing declared free holds her data
