"""A/B variants of a journey step's message, end to end: the appointment report tried in two versions (the
template as it is, and another subject and template), caught by a real SMTP server (aiosmtpd).

Each customer's group is a hash of the experiment and the customer, so the tests know it before the
customer books: they enrol customers until each group they need has its members. Opens and clicks go
through the pages the e-mail links to; orders are ``orders.order_placed`` events recorded in the outbox as
the orders domain's checkout records them (a till sale's, which has no journey of its own), delivered by
the dispatcher."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import CompleteIn, ProductNote
from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import experiments, experiments_stats, journeys, service, variants
from comptoir.engagement.jobs import jobs
from comptoir.engagement.models import Delivery, Experiment, Message
from comptoir.orders.events import OrderPlaced
from comptoir.pricing import service as pricing
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
from tests.catalog.conftest import build_taxonomy, dress
from tests.engagement.test_appointment_journey import NOW
from tests.engagement.test_sending import Mailbox, Shop
from tests.support.processes import free_port

DUE = NOW + timedelta(minutes=60)  # the report: an hour after the advisor completes the appointment
DRESS = "ROBE-LIN-S-BLEU"
B_SUBJECT = {"fr": "Vos conseils personnalisés vous attendent", "en": "Your personal advice awaits"}


@pytest.fixture
def shop(db: Database, settings: Settings) -> Iterator[Shop]:
    """The sending tests' shop (a real SMTP server catching what goes), at Monday 09:00 in Paris."""
    from comptoir.app import create_app

    shop_settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
        }
    )
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    clock.set_clock(lambda: NOW)
    try:
        opened = Shop(db, shop_settings, create_app(shop_settings, db=db), box, port)
        with UnitOfWork(db) as uow:  # the dress the advisor recommends, at 89,00 €
            build_taxonomy(uow)
            catalog.create_product(uow, dress("ROBE-LIN", status="active"))
            pricing.create_price_list(uow, PriceListIn(code="base", name="Prix de base"))
            pricing.set_prices(uow, "base", PricesIn(prices=[PriceIn(sku=DRESS, amount=Decimal("89.00"))]))
            uow.commit()
        yield opened
    finally:
        clock.set_clock(None)
        controller.stop()


def design(**changes: Any) -> dict[str, Any]:
    """Variant a is the report as it is (the control); b has its own subject and the follow-up's template."""
    return {
        "variants": [{"key": "a"}, {"key": "b", "subject": B_SUBJECT, "template": "appointment_follow_up"}],
        "test_percent": 60,
        "metric": "click",
        "min_sample": 3,
        "decide_within_days": 3,
    } | changes


class Lab:
    """The appointment journey with an experiment on its report, and customers enrolled by group."""

    def __init__(self, shop: Shop, chosen: dict[str, Any]) -> None:
        definition = journeys.APPOINTMENT.model_dump(mode="json")
        for step in definition["steps"]:
            if step["key"] == "report":
                step["experiment"] = chosen
        self.shop = shop
        self.version = shop.api("PUT", "/v1/engagement/journeys/appointment", json=definition)["version"]
        self.id = experiments.experiment_id("appointment", self.version, "report")
        self.plan = variants.Experiment(
            self.id,
            tuple(variants.Arm(v["key"], v.get("weight", 1)) for v in chosen["variants"]),
            holdout_share=chosen.get("holdout_percent", 0) / 100,
            test_share=chosen.get("test_percent", 100) / 100,
        )
        self.appointments: dict[str, str] = {}
        self.addresses: dict[str, str] = {}
        self._people = 0

    def enrol(self, **wanted: int) -> dict[str, list[str]]:
        """Customers (with an opt-in for marketing e-mails) until each group named has as many as wanted,
        each with an appointment from Tuesday 6 April (their reminders due after the tests); the others
        never book."""
        groups: dict[str, list[str]] = defaultdict(list)
        while any(len(groups[g]) < n for g, n in wanted.items()):
            self._people += 1
            assert self._people < 300, "the hash spreads customers over the groups"
            n = self._people
            address = f"cliente{n}@example.fr"
            customer_id = self.shop.person(f"Cliente{n}", address, f"+336{n:08d}", "email")
            group = self.plan.assign(customer_id)
            if len(groups[group]) >= wanted.get(group, 0):
                continue
            k = len(self.appointments)
            starts = datetime(2027, 4, 6 + k // 14, 10 + (k % 14) // 2, 0, tzinfo=UTC)
            self.appointments[customer_id] = self.shop.book_at(customer_id, starts)
            self.addresses[customer_id] = address
            groups[group].append(customer_id)
        self.shop.run()
        self.shop.box.take()  # the confirmations
        return dict(groups)

    def complete_all(self) -> None:
        """The advisor completes every appointment, recommending the dress."""
        done = CompleteIn(products=[ProductNote(sku=DRESS, kind="recommended", note="Parfaite pour l'été")])
        with UnitOfWork(self.shop.db) as uow:
            for appointment_id in self.appointments.values():
                appointments.complete(uow, appointment_id, done, self.shop.settings)
            uow.commit()
        self.shop.run()

    def report(self, customer_id: str) -> Message:
        with UnitOfWork(self.shop.db, read_only=True) as uow:
            found = uow.session.scalars(
                select(Message).where(Message.customer_id == customer_id, Message.step == "report")
            ).one()
            uow.session.expunge(found)
        return found

    def row(self) -> Experiment:
        with UnitOfWork(self.shop.db, read_only=True) as uow:
            found = uow.session.get(Experiment, self.id)
            assert found is not None
            uow.session.expunge(found)
        return found

    def mail_to(self, received: list[EmailMessage]) -> dict[str, EmailMessage]:
        """The e-mails received, by the enrolled customer they went to (each of them at most one)."""
        by_address = {str(m["To"]): m for m in received}
        assert len(by_address) == len(received)
        return {c: by_address[a] for c, a in self.addresses.items() if a in by_address}

    def results(self) -> dict[str, Any]:
        return dict(self.shop.api("GET", f"/v1/engagement/experiments/{self.id}"))

    def decide(self) -> dict[str, Any]:
        return dict(self.shop.api("POST", f"/v1/engagement/experiments/{self.id}/decide"))

    def order(self, customer_id: str, order_id: str) -> None:
        """The orders domain's event of an order placed now (a till sale: no order journey of its own)."""
        placed = OrderPlaced(
            order_id=order_id, customer_id=customer_id, channel="store", number=order_id.upper(),
            mode="in_store", currency="EUR", total="59.00",
        )  # fmt: skip
        with UnitOfWork(self.shop.db) as uow:
            uow.record(placed)
            uow.commit()
        self.shop.dispatcher.drain()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def tracked_links(message: EmailMessage) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="([^"]*/pages/engagement/c/[^"]*)"', html_of(message))]


def pixel_of(message: EmailMessage) -> str:
    (found,) = re.findall(r'<img src="([^"]*/pages/engagement/o/[^"]*\.gif)"', html_of(message))
    return unescape(found)


def local(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path


def kinds(lab: Lab, customer_id: str) -> list[str]:
    with UnitOfWork(lab.shop.db, read_only=True) as uow:
        return list(
            uow.session.scalars(
                select(Delivery.kind)
                .where(Delivery.message_id == lab.report(customer_id).id)
                .order_by(Delivery.at, Delivery.id)
            )
        )


# -- groups ---------------------------------------------------------------------------------------------


def test_a_customer_is_always_in_the_same_group(shop: Shop) -> None:
    # Given an experiment on the report, and a customer of variant b with two appointments
    lab = Lab(shop, design())
    (ines,) = lab.enrol(b=1)["b"]
    second = shop.book_at(ines, datetime(2027, 4, 13, 12, 0, tzinfo=UTC))
    shop.run()
    # When both appointments are completed
    lab.complete_all()
    shop.complete(second)
    shop.run()
    # Then both reports are in variant b, with b's template, as the hash says in any process
    with UnitOfWork(shop.db, read_only=True) as uow:
        reports = uow.session.scalars(
            select(Message).where(Message.customer_id == ines, Message.step == "report")
        ).all()
        assert len(reports) == 2
        assert {(m.experiment_id, m.variant, m.template) for m in reports} == {
            (lab.id, "b", "appointment_follow_up")
        }
    assert variants.assign(lab.id, ines, lab.plan.arms, test_share=0.6) == "b"
    assert experiments.experiment_id("appointment", lab.version, "report") == lab.id
    # and the API tells the customer's group on each message
    told = [(m["experiment_id"], m["variant"]) for m in shop.api_messages(ines) if m["step"] == "report"]
    assert told == [(lab.id, "b")] * 2


def test_a_variants_subject_is_in_the_customers_language(shop: Shop) -> None:
    # Given a report of variant b, scheduled
    lab = Lab(shop, design())
    (customer_id,) = lab.enrol(b=1)["b"]
    lab.complete_all()
    message = lab.report(customer_id)
    # When it is written in English, then in French
    rendered = service.preview("appointment_report", "en")
    with UnitOfWork(shop.db) as uow:
        subjects = [
            written.subject
            for lang in ("en", "fr")
            for written in [experiments.apply(uow, shop.settings, message, rendered, lang, DUE)]
            if written is not None
        ]
    # Then its subject is b's, in each language
    assert subjects == [B_SUBJECT["en"], B_SUBJECT["fr"]]


# -- the holdout and orders -------------------------------------------------------------------------------


def test_the_holdout_is_sent_nothing_but_counts_for_orders(shop: Shop) -> None:
    # Given an experiment holding out half of the customers, one of them and one of variant a
    lab = Lab(shop, design(holdout_percent=50, test_percent=50, order_window_days=7))
    groups = lab.enrol(holdout=1, a=1)
    (held,), (sent,) = groups["holdout"], groups["a"]
    lab.complete_all()
    # When the reports are due
    shop.at(DUE)
    shop.run()
    # Then only a's customer receives hers; the holdout's is skipped, with the reason
    (mail,) = shop.box.take()
    assert lab.mail_to([mail]).keys() == {sent}
    report = lab.report(held)
    assert (report.status, report.hold_code, report.variant) == ("skipped", "holdout", "holdout")
    assert report.hold_reason == "Held out of the A/B test: sent nothing, to measure what the message brings."
    assert kinds(lab, held) == ["skipped"]
    # When both order two days later
    shop.at(DUE + timedelta(days=2))
    lab.order(held, "ord_held")
    lab.order(sent, "ord_sent")
    # Then each order is attributed: the holdout's to the message it was not sent
    assert kinds(lab, held) == ["skipped", "ordered"]
    assert kinds(lab, sent)[-1] == "ordered"
    results = lab.results()
    assert results["holdout"]["customers"] == 1 and results["holdout"]["ordered"] == 1
    (a,) = [v for v in results["variants"] if v["key"] == "a"]
    assert (a["sent"], a["ordered"], a["order_rate"]) == (1, 1, 1.0)


def test_an_order_counts_for_the_latest_message_within_the_window(shop: Shop) -> None:
    # Given a customer of variant a whose report went out, in an experiment counting orders for 7 days
    lab = Lab(shop, design(metric="order", order_window_days=7))
    (lea,) = lab.enrol(a=1)["a"]
    shop.at(NOW - timedelta(minutes=30))
    lab.order(lea, "ord_before")  # before the report: not its doing
    shop.at(NOW)
    lab.complete_all()
    shop.at(DUE)
    shop.run()
    # When she orders on the 7th day, then again on the 8th
    shop.at(DUE + timedelta(days=7))
    lab.order(lea, "ord_day7")
    shop.at(DUE + timedelta(days=8))
    lab.order(lea, "ord_day8")
    # and the 7th day's order is delivered a second time
    with UnitOfWork(shop.db) as uow:
        assert experiments_stats.attribute_order(uow, lea, "ord_day7", DUE + timedelta(days=7)) == 0
        uow.commit()
    # Then only the 7th day's order counts, once
    with UnitOfWork(shop.db, read_only=True) as uow:
        ordered = uow.session.scalars(
            select(Delivery.detail).where(
                Delivery.message_id == lab.report(lea).id, Delivery.kind == "ordered"
            )
        ).all()
    assert ordered == ["ord_day7"]
    (a,) = [v for v in lab.results()["variants"] if v["key"] == "a"]
    assert (a["sent"], a["ordered"]) == (1, 1)


# -- opens and clicks ------------------------------------------------------------------------------------


def test_opens_and_clicks_are_logged_and_the_redirect_leads_only_to_the_messages_links(shop: Shop) -> None:
    # Given Zoé's report sent (variant a: the template as it is), with a confirmation before it
    lab = Lab(shop, design())
    (zoe,) = lab.enrol(a=1)["a"]
    lab.complete_all()
    shop.at(DUE)
    shop.run()
    (mail,) = shop.box.take()
    message_id = lab.report(zoe).id
    # Then its links go through the click redirect, but not the unsubscribe link; its text keeps them
    links = tracked_links(mail)
    assert links
    html = html_of(mail)
    assert "/pages/engagement/unsubscribe/" in html
    assert not any("unsubscribe" in parse_qs(urlparse(u).query)["u"][0] for u in links)
    assert "/pages/engagement/c/" not in str(mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    with TestClient(shop.app) as client:
        # When the pixel is fetched (twice: Apple Mail's prefetch, then the reader)
        for _ in range(2):
            answer = client.get(local(pixel_of(mail)))
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "image/gif" and answer.content.startswith(b"GIF89a")
            assert "no-store" in answer.headers["cache-control"]
        # and a link is followed
        target = parse_qs(urlparse(links[0]).query)["u"][0]
        followed = client.get(local(links[0]), follow_redirects=False)
        assert (followed.status_code, followed.headers["location"]) == (302, target)
        # Then an address the message did not carry is refused, and so is an altered token
        token = urlparse(links[0]).path.rsplit("/", 1)[1]
        elsewhere = client.get(f"/pages/engagement/c/{token}", params={"u": "https://pirate.example/"})
        assert elsewhere.status_code == 404 and "location" not in elsewhere.headers
        forged = client.get(f"/pages/engagement/c/{token[:-2]}xx", params={"u": target})
        assert forged.status_code == 404
        assert (
            client.get(f"/pages/engagement/o/{token}.gif").status_code == 404
        )  # a click's token opens nothing
    # and the delivery log has one open and one click, naming the address
    with UnitOfWork(shop.db, read_only=True) as uow:
        logged = uow.session.execute(
            select(Delivery.kind, Delivery.detail).where(
                Delivery.message_id == message_id, Delivery.kind.in_(["opened", "clicked"])
            )
        ).all()
    assert sorted(logged) == [("clicked", target), ("opened", "")]
    (a,) = [v for v in lab.results()["variants"] if v["key"] == "a"]
    assert (a["sent"], a["opened"], a["clicked"], a["click_rate"]) == (1, 1, 1, 1.0)


def test_a_transactional_e_mail_carries_no_tracking(shop: Shop) -> None:
    # Given Noé, without any marketing consent, who books an appointment
    noe = shop.person("Noé", "noe@example.fr", "+33698765432")
    shop.book_at(noe, datetime(2027, 3, 24, 10, 0, tzinfo=UTC))
    # When its confirmation is sent
    shop.run()
    (confirmation,) = shop.box.take()
    # Then it has no pixel and its links (the invitation's .ics among them) are as they were
    html = html_of(confirmation)
    assert "/pages/engagement/o/" not in html and "/pages/engagement/c/" not in html
    assert "/invitation.ics?token=" in unescape(html)


# -- deciding --------------------------------------------------------------------------------------------


def test_no_winner_while_not_significant_then_the_rest_get_the_winner(shop: Shop) -> None:
    # Given an experiment testing on 60 % of the customers: three in each variant, two outside the test
    lab = Lab(shop, design())
    groups = lab.enrol(a=3, b=3, rest=2)
    lab.complete_all()
    # When the reports are due
    shop.at(DUE)
    shop.run()
    # Then each variant's customers receive theirs: b's with its own subject, a's with the template's
    received = lab.mail_to(shop.box.take())
    assert received.keys() == set(groups["a"] + groups["b"])
    assert {str(received[c]["Subject"]) for c in groups["b"]} == {B_SUBJECT["fr"]}
    assert B_SUBJECT["fr"] not in {str(received[c]["Subject"]) for c in groups["a"]}
    # and the rest wait for the winner, as the API says
    for customer_id in groups["rest"]:
        held = lab.report(customer_id)
        assert (held.status, held.hold_code, held.variant) == ("scheduled", "ab_waiting", "rest")
        assert held.due_at == lab.row().deadline_at
    # When the experiment is evaluated before anyone clicked: no winner
    shop.at(DUE + timedelta(hours=1))
    verdict = lab.decide()
    assert (verdict["phase"], verdict["winner"], verdict["rest_waiting"]) == ("testing", None, 2)
    assert verdict["verdict"].startswith("not significant yet")
    # and when one of b's customers clicked: still none (one of three is not significantly better)
    with TestClient(shop.app) as client:
        clicker = received[groups["b"][0]]
        assert client.get(local(tracked_links(clicker)[0]), follow_redirects=False).status_code == 302
        assert lab.decide()["winner"] is None
        shop.run()
        assert shop.box.take() == []  # the rest still wait
        # When every one of b's customers clicked, and none of a's
        for customer_id in groups["b"][1:]:
            client.get(local(tracked_links(received[customer_id])[0]), follow_redirects=False)
    verdict = lab.decide()
    # Then b wins, significantly, and the rest's messages go with b's template and subject
    assert (verdict["phase"], verdict["winner"], verdict["rest_variant"]) == ("decided", "b", "b")
    assert verdict["p_value"] < 0.05 and verdict["verdict"].startswith("b wins on clicked")
    (b,) = [v for v in verdict["variants"] if v["key"] == "b"]
    assert (b["sent"], b["clicked"], b["click_rate"], b["p_value"]) == (3, 3, 1.0, None)
    (a,) = [v for v in verdict["variants"] if v["key"] == "a"]
    assert (a["sent"], a["clicked"]) == (3, 0) and a["p_value"] < 0.05
    shop.run()
    rest = lab.mail_to(shop.box.take())
    assert rest.keys() == set(groups["rest"])
    assert {str(m["Subject"]) for m in rest.values()} == {B_SUBJECT["fr"]}
    for customer_id in groups["rest"]:
        sent = lab.report(customer_id)
        assert (sent.status, sent.variant, sent.template) == ("sent", "rest", "appointment_follow_up")
    assert lab.results()["rest_sent"] == 2
    # and the decision stands: evaluating again changes nothing
    assert lab.decide()["decided_at"] == verdict["decided_at"]


def test_without_a_winner_by_the_deadline_the_rest_get_the_control(shop: Shop) -> None:
    # Given an experiment whose variants' customers received theirs and one customer waiting outside it
    lab = Lab(shop, design(decide_within_days=3))
    groups = lab.enrol(a=1, b=1, rest=1)
    lab.complete_all()
    shop.at(DUE)
    shop.run()
    assert len(shop.box.take()) == 2
    (job,) = [j for j in jobs(shop.settings) if j.name == "engagement.experiments"]
    assert job.every_seconds == 15 * 60
    # When the job runs before the deadline: nothing changes
    shop.at(DUE + timedelta(days=2))
    with UnitOfWork(shop.db) as uow:
        job.run(uow)
        uow.commit()
    assert lab.row().phase == "testing"
    # When the deadline passed and the sender runs before the job: the rest still wait, for the job
    late = DUE + timedelta(days=3, minutes=5)
    shop.at(late)
    shop.run()
    assert shop.box.take() == []
    waiting = lab.report(groups["rest"][0])
    assert (waiting.status, waiting.hold_code) == ("scheduled", "ab_waiting")
    assert waiting.due_at == late + timedelta(minutes=15)
    # When the job runs after the deadline, with no winner
    shop.at(late + timedelta(minutes=10))
    with UnitOfWork(shop.db) as uow:
        job.run(uow)
        uow.commit()
    row = lab.row()
    assert (row.phase, row.winner, row.rest_variant) == ("inconclusive", "", "a")
    assert row.verdict.startswith("No winner by the deadline") and row.verdict.endswith("the control, a.")
    # Then the rest receive the control: the report as it is, not b's subject
    shop.run()
    (mail,) = shop.box.take()
    assert lab.mail_to([mail]).keys() == set(groups["rest"])
    assert str(mail["Subject"]) != B_SUBJECT["fr"]
    assert lab.report(groups["rest"][0]).template == "appointment_report"


# -- the design -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        ({"variants": [{"key": "a"}, {"key": "a"}]}, "#/steps/3/experiment/variants", "key of its own"),
        (
            {"variants": [{"key": "a"}, {"key": "rest"}]},
            "#/steps/3/experiment/variants",
            "groups of customers",
        ),
        (
            {"variants": [{"key": "a"}, {"key": "b", "weight": 0}]},
            "#/steps/3/experiment/variants/1/weight",
            "",
        ),
        ({"variants": [{"key": "a"}]}, "#/steps/3/experiment/variants", ""),
        ({"holdout_percent": 30, "test_percent": 80}, "#/steps/3/experiment", "more than 100"),
    ],
    ids=["same-key", "reserved-key", "weight", "one-variant", "shares"],
)
def test_a_design_that_cannot_be_run_is_refused_naming_the_field(
    shop: Shop, change: dict[str, Any], pointer: str, words: str
) -> None:
    definition = journeys.APPOINTMENT.model_dump(mode="json")
    definition["steps"][3]["experiment"] = design(**change)
    assert definition["steps"][3]["key"] == "report"
    answer = _put(shop, definition)
    assert answer.status_code == 422
    problem = answer.json()
    assert any(e.get("pointer") == pointer and words in e["detail"] for e in problem["errors"]), problem


def test_an_experiment_on_a_transactional_step_is_refused(shop: Shop) -> None:
    definition = journeys.APPOINTMENT.model_dump(mode="json")
    definition["steps"][0]["experiment"] = design()  # the confirmation
    answer = _put(shop, definition)
    assert answer.status_code == 422
    assert "steps[0].experiment" in answer.text and "marketing steps only" in answer.text
    with UnitOfWork(shop.db, read_only=True) as uow:
        assert uow.session.scalars(select(Experiment)).all() == []


def _put(shop: Shop, definition: dict[str, Any]) -> Any:
    from tests.conftest import make_key

    headers = {"Authorization": f"Bearer {make_key(shop.db, ['*'])}"}
    with TestClient(shop.app) as client:
        return client.put("/v1/engagement/journeys/appointment", json=definition, headers=headers)


# -- erasure ----------------------------------------------------------------------------------------------


def test_an_erased_customer_leaves_only_aggregates(shop: Shop) -> None:
    # Given two customers of the experiment whose reports went out, and the experiment evaluated
    lab = Lab(shop, design(test_percent=100))
    groups = lab.enrol(a=1, b=1)
    lab.complete_all()
    shop.at(DUE)
    shop.run()
    received = lab.mail_to(shop.box.take())
    (gone,) = groups["b"]
    with TestClient(shop.app) as client:
        client.get(local(pixel_of(received[gone])))
    lab.decide()
    message_id = lab.report(gone).id
    # When one of them is erased
    with UnitOfWork(shop.db) as uow:
        customers.erase(uow, gone, shop.settings)
        uow.commit()
    shop.dispatcher.drain()
    # Then her messages and their delivery logs are gone, and the experiment names nobody
    assert shop.count(Message, Message.customer_id == gone) == 0
    assert shop.count(Delivery, Delivery.message_id == message_id) == 0
    row = lab.row()
    assert gone not in repr((row.design, row.stats, row.verdict))
    assert row.stats["groups"]["b"] == {"sent": 1, "opened": 1, "clicked": 0, "ordered": 0}
    # and the live results count the customers still there
    (b,) = [v for v in lab.results()["variants"] if v["key"] == "b"]
    assert b["sent"] == 0
    # and the pixel of her e-mail, fetched after the erasure, writes nothing
    with TestClient(shop.app) as client:
        assert client.get(local(pixel_of(received[gone]))).status_code == 200
    assert shop.count(Delivery, Delivery.message_id == message_id) == 0
