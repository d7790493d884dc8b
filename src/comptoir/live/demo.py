"""The demo retailer's live shopping: a video session that took place last week between Camille Martin
(the demo account) and one of the studio's advisors — the products shown and recommended, what she bought,
the advisor's notes — so that her 360° view and the advisor's figures have something to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comptoir.appointments import service as appointments
from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.live import policies
from comptoir.live.config import live_settings
from comptoir.live.models import Request, Session, SessionItem

DEMO_EMAIL = "camille.martin@example.com"
NOTES = "Cherche une tenue pour un mariage en juin ; taille 38. Préfère les matières naturelles."


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Session.id).limit(1)) is not None:
        return
    customer = next(
        (h.customer for h in customers.search(uow, DEMO_EMAIL) if h.customer.email == DEMO_EMAIL), None
    )
    found = appointments.service_by_code(uow, live_settings().service_code)
    skus = catalog.newest_skus(uow, channel="live", limit=3)
    if customer is None or found is None or len(skus) < 2:
        return
    wanted = set(appointments.get_service(uow, found[0]).skills)
    advisor = next(
        (a for a in appointments.list_advisors(uow) if a.active and wanted.issubset(a.skills)), None
    )
    if advisor is None:
        return
    started = (clock.now() - timedelta(days=6)).replace(hour=16, minute=30, second=0, microsecond=0)
    ended = started + timedelta(minutes=18)
    request = Request(
        id=new_id("lrq"), customer_id=customer.id, topic="robe", language="fr", channel="web",
        status="accepted", passed=[], share_profile=True, created_at=started - timedelta(minutes=2),
        ended_at=None,
    )  # fmt: skip
    shown, recommended = skus[:2], skus[2:] or skus[:1]
    items = [(s, "pushed") for s in shown] + [(shown[0], "compared"), (shown[1], "wished")]
    session = Session(
        id=new_id("lse"), request_id=request.id, advisor_id=advisor.id, advisor_name=advisor.name,
        shop_id=advisor.place_ids[0] if advisor.place_ids else None, customer_id=customer.id, topic="robe",
        language="fr", status="ended", profile_shared=True, notes=NOTES, recommended=list(recommended),
        order_ids=[], started_at=started, ended_at=ended,
        report=policies.report(started, ended, items, NOTES, recommended, []),
    )  # fmt: skip
    request.session_id = session.id
    uow.session.add_all([request, session])
    uow.session.flush()
    for n, (sku, kind) in enumerate(items + [(s, "recommended") for s in recommended]):
        by = "advisor" if kind in ("pushed", "recommended") else "customer"
        uow.session.add(
            SessionItem(
                session_id=session.id, sku=sku, kind=kind, by=by, at=started + timedelta(minutes=2 + n)
            )
        )
