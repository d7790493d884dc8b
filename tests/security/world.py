"""The matrix's world: two customers (Marie, the owner; Paul, another), two shops (Rivoli, shop A; Opéra,
shop B), a warehouse, a catalogue with stock and prices, and a real resource of each kind owned by Marie
or by Opéra — orders, a store sale with its receipt, payments, a return, a voucher, a cart, a count, a
reservation, keys, employees, webhooks — plus every principal's credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from comptoir.core.access import Role
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.demo import SHOPPING
from comptoir.engagement import service as engagement
from comptoir.inventory import service as inventory
from comptoir.inventory.schemas import MovementIn
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.loyalty.schemas import AdjustmentIn
from tests.conftest import make_key
from tests.engagement.survey_support import survey_message
from tests.orders.conftest import (
    CARD,
    LIN_M,
    LIN_S,
    OPERA,
    RIVOLI,
    SOIE_M,
    customer_token,
    headers,
)
from tests.support.staff import PASSWORD, make_person, open_session

PAUL = {"given_name": "Paul", "family_name": "Autre", "email": "paul.autre@example.org", "postcode": "69001"}


@dataclass(frozen=True)
class Principal:
    """One column of the matrix: who calls, as the policy sees them."""

    name: str
    kind: str
    headers: dict[str, str]
    scopes: frozenset[str] = frozenset()
    role: str | None = None
    shops: frozenset[str] | None = None
    customer: str | None = None
    email: str | None = None  # an employee's, to sign in again


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    principals: list[Principal] = field(default_factory=list)
    admin: dict[str, str] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.ids[name]

    def owner_signs_in_again(self, db: Any, settings: Any) -> None:
        """A new session for the owner (after a call that ends her sessions)."""
        from dataclasses import replace

        from comptoir.customers import sessions

        with UnitOfWork(db) as uow:
            token = sessions.issue(uow, settings.secret_key, self.ids["marie"]).token
            uow.commit()
        self.owner = {**self.owner, "X-Customer-Token": token}
        self.principals = [
            replace(p, headers=self.owner) if p.name == "owner's token" else p for p in self.principals
        ]

    def sign_in_again(self, db: Any) -> None:
        """New sessions for the employees (after a call that ends their sessions)."""
        from dataclasses import replace

        from comptoir.core import staff
        from tests.support.staff import PASSWORD

        renewed = []
        for who in self.principals:
            if who.email is not None:
                with UnitOfWork(db) as uow:
                    token = staff.sign_in(uow, staff.StaffSignIn(email=who.email, password=PASSWORD)).token
                    uow.commit()
                who = replace(who, headers={"Authorization": f"Bearer {token}"})
            renewed.append(who)
        self.principals = renewed


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    return dict(response.json()) if response.content else {}


def build(client: Any, db: Any, settings: Any, marie: str) -> World:
    from comptoir.core.access import ROLE_SCOPES

    w = World()
    with UnitOfWork(db) as uow:
        paul = customers.ingest(uow, "pos", CustomerRecord(**PAUL)).customer_id
        loyalty.set_programme(uow, carte_comptoir())
        uow.commit()
    with UnitOfWork(db) as uow:
        loyalty.adjust(uow, marie, AdjustmentIn(points=2000, reason="matrix"))
        uow.commit()
    admin_key = make_key(db, ["*"])
    w.admin = headers(admin_key)
    web_key = make_key(db, SHOPPING, channel="web")
    w.owner = headers(web_key, customer_token(settings, marie))
    other = headers(web_key, customer_token(settings, paul))
    opera_till = headers(make_key(db, ["*:read", "*:write"], channel=f"store:{OPERA}"))
    rivoli_key = make_key(db, ["*:read", "*:write"], channel=f"store:{RIVOLI}")
    w.principals = [
        Principal("no key", "public", {}),
        Principal("read-only secret key", "secret", headers(make_key(db, ["*:read"])), frozenset({"*:read"})),
        Principal("owner's token", "customer", w.owner, frozenset(SHOPPING), customer=marie),
        Principal("another customer's token", "customer", other, frozenset(SHOPPING), customer=paul),
        Principal(
            "shop A's key",
            "shop",
            headers(rivoli_key),
            frozenset({"*:read", "*:write"}),
            shops=frozenset({RIVOLI}),
        ),
    ]
    for role in Role:
        bound = role in (Role.SELLER, Role.SHOP_MANAGER)
        person = make_person(db, role, [RIVOLI] if bound else [])
        token = open_session(db, person).token
        w.principals.append(
            Principal(
                f"{role.value}{' of shop A' if bound else ''}",
                "staff",
                {"Authorization": f"Bearer {token}"},
                ROLE_SCOPES[role],
                role=role.value,
                shops=frozenset({RIVOLI}) if bound else None,
                email=person.email,
            )
        )
    ids: dict[str, Any] = {"marie": marie, "paul": paul, "A": RIVOLI, "B": OPERA, "sku": LIN_S}
    # Marie's click & collect at Opéra (its stock), paid by card: an order, a fulfilment, a reservation
    cart = _ok(client.post("/v1/carts", json={"lines": [{"sku": SOIE_M, "quantity": 1}]}, headers=w.owner))
    order = _ok(
        client.post(
            "/v1/orders/checkout",
            json={
                "cart_id": cart["id"],
                "cart_version": cart["version"],
                "mode": "click_and_collect",
                "pickup_place_id": OPERA,
                "tenders": [CARD],
            },
            headers=w.owner,
        )
    )
    ids.update(order_B=order["id"], fulfilment_B=order["fulfilments"][0]["id"], reservation_B=order["id"])
    # Marie's purchase at Opéra's till, with its receipt, its payment and a return of it
    sale_cart = _ok(
        client.post(
            "/v1/carts",
            json={"lines": [{"sku": SOIE_M, "quantity": 1}], "customer_id": marie},
            headers=opera_till,
        )
    )
    sale = _ok(
        client.post(
            "/v1/orders/checkout",
            json={
                "cart_id": sale_cart["id"],
                "cart_version": sale_cart["version"],
                "mode": "store_sale",
                "tenders": [CARD],
            },
            headers=opera_till,
        )
    )
    ids.update(
        sale_B=sale["id"], payment_B=sale["payments"][0]["payment_id"], sale_line=sale["lines"][0]["line_id"]
    )
    receipt = _ok(
        client.post(
            "/v1/receipts",
            json={"order_id": sale["id"], "email": "marie.curie@orange.fr"},
            headers=opera_till,
        )
    )
    ids["receipt_B"] = receipt["id"]
    ret = _ok(
        client.post(
            "/v1/returns",
            json={
                "order_id": sale["id"],
                "method": "in_store",
                "place_id": OPERA,
                "lines": [{"line_id": sale["lines"][0]["line_id"], "quantity": 1, "comment": "trop petit"}],
            },
            headers=opera_till,
        )
    )
    ids["return_B"] = ret["id"]
    # Marie's voucher, her open cart, her coupon
    voucher = _ok(
        client.post(
            "/v1/payments/gift-cards",
            json={
                "amount": "20.00",
                "currency": "EUR",
                "kind": "voucher",
                "with_pin": False,
                "customer_id": marie,
                "reference": "matrix-voucher",
            },
            headers=w.admin,
        )
    )
    ids["voucher_V"] = voucher["code"]
    open_cart = _ok(
        client.post("/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}]}, headers=w.owner)
    )
    ids.update(cart_V=open_cart["id"], line_V=open_cart["lines"][0]["line_id"])
    # Opéra's operational records: a count, a key, an employee
    count = _ok(
        client.post(
            "/v1/inventory/counts",
            json={"place_id": OPERA, "reference": "matrix-count", "lines": [{"sku": LIN_M, "quantity": 0}]},
            headers=opera_till,
        )
    )
    ids["count_B"] = count["id"]  # a full count: what it does not list is now zero at Opéra
    with UnitOfWork(db) as uow:
        for sku in (SOIE_M, LIN_S, LIN_M):
            inventory.record_movement(
                uow,
                MovementIn(kind="receipt", sku=sku, place_id=OPERA, quantity=10, reference=f"matrix-{sku}"),
            )
        uow.commit()
    key_b = _ok(
        client.post(
            "/v1/keys",
            json={"name": "Opéra kiosk", "scopes": ["catalog:read"], "channel": f"store:{OPERA}"},
            headers=w.admin,
        )
    )
    ids["key_B"] = key_b["id"]
    ids["person_B"] = make_person(db, "seller", [OPERA]).id
    signing_in = make_person(db, "seller", [RIVOLI])
    ids.update(staff_email=signing_in.email, staff_password=PASSWORD)
    # retailer-wide things: a promotion with a coupon, a webhook subscription
    promo = _ok(
        client.post(
            "/v1/pricing/promotions",
            json={
                "name": "Matrice",
                "label": "Matrice -10 %",
                "kind": "percent_off",
                "params": {"percent": "10"},
                "starts_at": "2026-01-01T00:00:00Z",
                "requires_coupon": True,
            },
            headers=w.admin,
        )
    )
    ids["promotion"] = promo["id"]
    coupon = _ok(
        client.post(
            f"/v1/pricing/promotions/{promo['id']}/coupons", json={"customer_id": marie}, headers=w.admin
        )
    )
    ids["coupon_V"] = coupon["code"]
    ids["price_list"] = "base"
    ids["unique"] = uuid.uuid4().hex[:8]
    # Marie's phone, registered for push notifications by her app
    phone = {"token": "matrix-phone-token-0001", "platform": "ios"}
    ids["device_V"] = _ok(client.post("/v1/engagement/devices", json=phone, headers=w.owner))["id"]
    # Marie's satisfaction survey about her click & collect at Opéra (sent: her app may answer it)
    ids["survey_V"] = survey_message(db, marie, "survey_nps", {"place_id": OPERA, "channel": "web"})
    _appointments(client, db, settings, w, ids, marie)
    _live(client, db, w, ids)
    ids["experiment"] = _experiment(db)
    # The new arrivals launched to a segment (the retailer's launch: it entered nobody, no one is in it)
    matrix_launch = {"audience": {"segments_any": ["matrix"]}}
    launched = client.post(
        "/v1/engagement/journeys/new_arrivals/launches", json=matrix_launch, headers=w.admin
    )
    ids["launch"] = _ok(launched)["id"]
    w.ids = ids
    return w


def _experiment(db: Any) -> str:
    """An A/B experiment of the appointment report's subject (made with its first message, as the engine
    does): its results are the retailer's."""
    from comptoir.core import clock
    from comptoir.engagement import experiments
    from comptoir.engagement.journeys import APPOINTMENT
    from comptoir.engagement.schemas import ExperimentDesign, Variant

    (report,) = [s for s in APPOINTMENT.steps if s.key == "report"]
    design = ExperimentDesign(variants=[Variant(key="a"), Variant(key="b")], test_percent=50)
    with UnitOfWork(db) as uow:
        row = experiments.ensure(
            uow, "appointment", 0, report.model_copy(update={"experiment": design}), clock.now()
        )
        experiment_id = row.id
        uow.commit()
    return experiment_id


def _appointments(client: Any, db: Any, settings: Any, w: World, ids: dict[str, Any], marie: str) -> None:
    """A styling service at both shops, an advisor at Opéra with a leave, Marie's appointment there (with
    its invitation's signed token), her waitlist entry, and free starts at Opéra for the cases to book."""
    service = _ok(
        client.post(
            "/v1/appointments/services",
            json={
                "code": "matrix-styling",
                "kind": "styling",
                "names": {"fr": "Conseil en style", "en": "Styling advice"},
                "duration_min": 30,
                "channels": ["web", "store"],
                "place_ids": [RIVOLI, OPERA],
                "min_notice_min": 0,
                "cancel_cutoff_min": 0,
            },
            headers=w.admin,
        )
    )
    advisor = make_person(db, Role.ADVISOR, [OPERA])
    week = [
        {"day": d, "start": "10:00", "end": "19:00", "place_id": OPERA}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    ]
    _ok(
        client.put(
            f"/v1/appointments/advisors/{advisor.id}",
            json={"place_ids": [OPERA], "weekly": week},
            headers=w.admin,
        )
    )
    leave = _ok(
        client.post(
            f"/v1/appointments/advisors/{advisor.id}/leaves",
            json={
                "starts_at": "2031-01-01T00:00:00Z",
                "ends_at": "2031-01-02T00:00:00Z",
                "reason": "formation",
            },
            headers=w.admin,
        )
    )
    found = _ok(
        client.get(
            "/v1/appointments/slots",
            params={"service_id": service["id"], "place_id": OPERA, "days": 14},
            headers=w.admin,
        )
    )
    starts = [f"{day['date']}T{hhmm}:00" for day in found["places"][0]["days"] for hhmm in day["times"]]
    zone = found["places"][0]["timezone"]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    free = [datetime.fromisoformat(s).replace(tzinfo=ZoneInfo(zone)).isoformat() for s in starts[::4]]
    booked = _ok(
        client.post(
            "/v1/appointments",
            json={
                "slot": {"service_id": service["id"], "place_id": OPERA, "starts_at": free[0]},
                "note": "pour un mariage",
            },
            headers=w.owner,
        )
    )
    waiting = _ok(
        client.post(
            "/v1/appointments/waitlist",
            json={"service_id": service["id"], "first_day": "2031-01-01", "last_day": "2031-01-10"},
            headers=w.owner,
        )
    )
    ids.update(
        service=service["id"],
        advisor_B=advisor.id,
        leave_B=leave["id"],
        appointment_B=booked["id"],
        invitation_token=booked["invitation_url"].split("token=", 1)[1],
        waitlist_V=waiting["id"],
        slot_hold=free[1],
        slot_book=free[2],
        slot_move=free[3],
        journey="appointment",
        template="appointment_confirmation",
        unsubscribe_token=engagement.unsubscribe_token(settings, marie, "marketing", "email"),
    )


def _live(client: Any, db: Any, w: World, ids: dict[str, Any]) -> None:
    """The live studio's service, an advisor of it at Opéra, Marie's talk-now request (with its ticket) and
    her session with that advisor."""
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import AdvisorIn, ServiceIn
    from comptoir.core import clock
    from comptoir.live.models import Request, Session

    advisor = make_person(db, Role.ADVISOR, [OPERA])
    with UnitOfWork(db) as uow:
        appointments.create_service(
            uow,
            ServiceIn(
                code="consultation-video",
                kind="video",
                names={"fr": "Consultation vidéo", "en": "Video consultation"},
                duration_min=30,
                channels=["web", "live"],
                skills=["video"],
                languages=["fr", "en"],
                location="virtual",
            ),
        )
        appointments.put_advisor(
            uow, advisor.id, AdvisorIn(skills=["video"], languages=["fr"], place_ids=[OPERA])
        )
        uow.commit()
    asked = _ok(client.post("/v1/live/requests", json={"topic": "robe", "language": "fr"}, headers=w.owner))
    now = clock.now()
    with UnitOfWork(db) as uow:
        request = uow.session.get(Request, asked["id"])
        assert request is not None
        session = Session(
            id="lse_matrix",
            request_id=request.id,
            advisor_id=advisor.id,
            advisor_name="Conseillère Opéra",
            shop_id=OPERA,
            customer_id=request.customer_id,
            topic=request.topic,
            language=request.language,
            status="active",
            recommended=[],
            order_ids=[],
            started_at=now,
        )
        uow.session.add(session)
        request.status, request.session_id, request.ended_at = "accepted", session.id, None
        uow.commit()
    ids.update(live_request=asked["id"], live_ticket=asked["ticket"], live_session="lse_matrix")
    ids["wishlist_link"] = _ok(client.post("/v1/carts/wishlist/share", headers=w.owner))["token"]
