"""Journeys launched to an audience (a campaign): who enters (segments, loyalty tiers, named customers, the
opt-in), nobody twice (launched again, resumed, run by two processes, two launches at once on
PostgreSQL), the J+30 at 10:00 on each customer's clock (Paris, Réunion, Martinique), a launched e-mail
caught by a real SMTP server with consent checked again when it is due, bad audiences refused naming the
field, an erased customer's launched journey gone, and ``comptoir engagement launch``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from comptoir.catalog import service as catalog
from comptoir.catalog.models import Publication
from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher, DispatcherConfig
from comptoir.core.mail import SmtpMailer
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn, CustomerRecord
from comptoir.engagement import launch_runs, launch_writes, launches
from comptoir.engagement import service as engagement
from comptoir.engagement.models import Instance, Launch, Message
from comptoir.engagement.schemas import Audience, JourneyDefinition, LaunchIn, LaunchOut, Localised, Step
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.demo import carte_comptoir
from comptoir.loyalty.models import Account
from tests.engagement.conftest import text_of

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 22 March 2027, 09:00 in Paris
J30 = {  # 21 April 2027, 10:00 on each customer's clock
    "Europe/Paris": datetime(2027, 4, 21, 8, 0, tzinfo=UTC),  # CEST, UTC+2
    "Indian/Reunion": datetime(2027, 4, 21, 6, 0, tzinfo=UTC),  # UTC+4
    "America/Martinique": datetime(2027, 4, 21, 14, 0, tzinfo=UTC),  # UTC-4
}
LAUNCHES = "/v1/engagement/journeys/new_arrivals/launches"
FIRST = ("Alice", "Bruno", "Chloé", "Dora", "Émile", "Fanny", "Gaspard", "Hélène", "Igor", "Jeanne")
FAMILY = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def crowd(db: Database, count: int) -> list[str]:
    """``count`` customers (at most 60), each a person of their own, in the segment with an opt-in."""
    names = [(first, family) for family in FAMILY for first in FIRST][:count]
    return [
        person(db, first, family=family, postcode=f"{75001 + n}") for n, (first, family) in enumerate(names)
    ]


def person(
    db: Database,
    given: str,
    *,
    family: str | None = None,
    postcode: str = "75011",
    segments: tuple[str, ...] = ("newsletter",),
    opt_in: bool = True,
    tier: str | None = None,
) -> str:
    """A customer of her own (a distinct name and address), in ``segments``, with or without an opt-in
    for marketing by e-mail, of loyalty tier ``tier``."""
    consents = [ConsentIn(purpose="marketing", channel="email", granted=True)] if opt_in else []
    with UnitOfWork(db) as uow:
        found = customers.ingest(
            uow,
            "web",
            CustomerRecord(
                given_name=given,
                family_name=family or f"{given}son",
                email=f"{given.lower()}.{(family or 'x').lower()}@exemple.fr",
                postcode=postcode,
                city="Ville",
                country="FR",
                locale="fr",
                consents=consents,
            ),
        )
        if segments:
            customers.set_segments(uow, found.customer_id, list(segments))
        if tier is not None:
            uow.session.execute(
                insert(Account).values(
                    customer_id=found.customer_id, tier=tier, created_at=NOW, updated_at=NOW
                )
            )
        uow.commit()
    return found.customer_id


def launch(db: Database, settings: Settings, audience: Audience, **run: Any) -> LaunchOut:
    """Launch new_arrivals to ``audience`` and run it to its end (or as ``run`` says)."""
    created = engagement.launch_journey(
        db, settings, SYSTEM, "new_arrivals", LaunchIn(audience=audience), inline_batches=0
    )
    assert isinstance(created, LaunchOut)
    return launch_runs.run(db, settings, created.id, **run)


def entered(db: Database) -> dict[str, list[str]]:
    """Who is in new_arrivals: customer id -> the launches (subjects) they entered under."""
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.execute(
            select(Instance.customer_id, Instance.subject).where(Instance.journey_code == "new_arrivals")
        ).all()
    out: dict[str, list[str]] = {}
    for customer_id, subject in rows:
        out.setdefault(customer_id, []).append(subject)
    return out


def messages(db: Database, customer_id: str) -> dict[str, Message]:
    with UnitOfWork(db, read_only=True) as uow:
        found = uow.session.scalars(select(Message).where(Message.customer_id == customer_id)).all()
        uow.session.expunge_all()
    return {f"{m.step}/{m.channel}": m for m in found}


# -- who enters ---------------------------------------------------------------------------------------------


def test_the_segment_and_the_opt_in_choose_who_enters(db: Database, settings: Settings) -> None:
    # Given Alice and Dora in the segment with an opt-in, Bruno in it without, Chloé with one but not in it
    alice, dora = person(db, "Alice"), person(db, "Dora")
    bruno = person(db, "Bruno", opt_in=False)
    chloe = person(db, "Chloe", segments=("vip",))
    audience = Audience(segments_any=["newsletter"])
    # When the retailer asks first how many the launch would enter
    with UnitOfWork(db, read_only=True) as uow:
        counted = launches.create(uow, "new_arrivals", LaunchIn(audience=audience, dry_run=True), "")
    assert counted.matched == 2  # type: ignore[union-attr]
    # Then launches it: Alice and Dora enter, each with the announcement and J+30
    out = launch(db, settings, audience)
    assert (out.state, out.matched, out.entered, out.messages) == ("done", 2, 2, 4)
    assert sorted(entered(db)) == sorted([alice, dora])
    assert sorted(messages(db, alice)) == ["announcement/email", "follow_up/email"]
    assert messages(db, bruno) == messages(db, chloe) == {}
    # Without the opt-in required, Bruno enters too (the sender will check his consent when it is due)
    out = launch(db, settings, Audience(segments_any=["newsletter"], consent_required=False))
    assert (out.matched, out.entered) == (3, 1)
    assert bruno in entered(db)


def test_named_customers_and_loyalty_tiers(db: Database, settings: Settings) -> None:
    with UnitOfWork(db) as uow:
        loyalty.set_programme(uow, carte_comptoir())
        uow.commit()
    alice = person(db, "Alice", tier="prestige")
    bruno = person(db, "Bruno", tier="privilege")
    chloe = person(db, "Chloe")  # no account yet: the lowest tier, essentiel
    # Prestige and privilege members: Alice and Bruno
    out = launch(db, settings, Audience(loyalty_tiers=["prestige", "privilege"]))
    assert sorted(entered(db)) == sorted([alice, bruno])
    # The lowest tier is every customer without a better one
    launch(db, settings, Audience(loyalty_tiers=["essentiel"]))
    assert chloe in entered(db)
    # Named customers, with a segment on top: only those of the list in it
    dora = person(db, "Dora", segments=("vip",))
    out = launch(db, settings, Audience(customer_ids=[dora, chloe], segments_any=["vip"], reenter=True))
    assert (out.matched, out.entered) == (1, 1)
    assert entered(db)[dora] == [out.id]


# -- nobody twice -------------------------------------------------------------------------------------------


def test_launched_again_enters_nobody_twice_unless_told(db: Database, settings: Settings) -> None:
    alice, bruno = person(db, "Alice"), person(db, "Bruno")
    first = launch(db, settings, Audience(segments_any=["newsletter"]))
    # Launched again to the same segment, now with Chloé in it: only Chloé enters
    chloe = person(db, "Chloe")
    again = launch(db, settings, Audience(segments_any=["newsletter"]))
    assert (again.matched, again.entered, again.messages) == (3, 1, 2)
    assert entered(db) == {alice: [first.id], bruno: [first.id], chloe: [again.id]}
    # A new season's launch that says so enters everyone again, under it
    season = launch(db, settings, Audience(segments_any=["newsletter"], reenter=True))
    assert (season.matched, season.entered) == (3, 3)
    assert sorted(entered(db)[alice]) == sorted([first.id, season.id])
    # And the same launch run once more (after it is done) changes nothing
    assert launch_runs.run(db, settings, season.id) == launches.get_launch_in(db, season.id)
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Message)) == 2 * 6


def test_an_interrupted_launch_resumes_from_its_cursor(db: Database, settings: Settings) -> None:
    people = sorted(person(db, name) for name in ("Alice", "Bruno", "Chloe", "Dora", "Emile"))
    created = engagement.launch_journey(
        db, settings, SYSTEM, "new_arrivals", LaunchIn(audience=Audience(everyone=True)), inline_batches=0
    )
    assert isinstance(created, LaunchOut) and created.state == "running"
    # Two batches of two customers, then the run stops (its budget spent): the lease is let go
    out = launch_runs.run(db, settings, created.id, batch=2, max_batches=2)
    assert (out.state, out.batches, out.matched, out.entered) == ("running", 2, 4, 4)
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.session.get(Launch, created.id)
        assert row is not None and row.resume_after == people[3] and row.lease_until is None
    assert sorted(entered(db)) == people[:4]
    # A process that holds the lease keeps others off
    with UnitOfWork(db) as uow:
        uow.session.execute(update(Launch).values(holder="elsewhere", lease_until=NOW + timedelta(minutes=1)))
        uow.commit()
    assert launch_runs.run(db, settings, created.id, batch=2).state == "running"
    # Once its lease lapses, the worker's job takes over from the cursor and finishes
    clock.set_clock(lambda: NOW + timedelta(minutes=2))
    assert engagement.resume_launches(db, settings) == 1
    out = launches.get_launch_in(db, created.id)
    assert (out.state, out.matched, out.entered, out.messages) == ("done", 5, 5, 10)
    assert sorted(entered(db)) == people


def test_the_same_launch_written_twice_enters_each_customer_once(db: Database, settings: Settings) -> None:
    # Two runs write the same batch (a process that lost its lease, and the one that took it over)
    people = [person(db, name) for name in ("Alice", "Bruno", "Chloe")]
    created = engagement.launch_journey(
        db, settings, SYSTEM, "new_arrivals", LaunchIn(audience=Audience(everyone=True)), inline_batches=0
    )
    assert isinstance(created, LaunchOut)
    counts = [_write_all(db, settings, created.id) for _ in range(2)]
    assert counts == [(3, 6), (0, 0)]
    assert sorted(entered(db)) == sorted(people)


def _write_all(db: Database, settings: Settings, launch_id: str) -> tuple[int, int]:
    with UnitOfWork(db, SYSTEM) as uow:
        row = launches.row_of(uow, launch_id)
        definition = engagement.get_journey(uow, row.journey_code).definition
        audience = Audience.model_validate(row.audience)
        who = launches.who_of(uow, definition, audience)
        members, _, _ = launches.page(uow, who, None, 100)
        plan = launch_writes.Plan(launch_id, definition, row.version, row.created_at, settings.timezone)
        done = launch_writes.enter(uow, plan, members, NOW)
        uow.commit()
    return done


def test_an_idempotency_key_answers_the_first_launch(
    client: Any, db: Database, admin_headers: dict[str, str]
) -> None:
    alice = person(db, "Alice")
    body = {"audience": {"segments_any": ["newsletter"]}}
    headers = {**admin_headers, "Idempotency-Key": "saison-printemps"}
    first = client.post(LAUNCHES, json=body, headers=headers)
    assert first.status_code == 201, first.text  # one batch was enough: done
    assert first.json()["state"] == "done" and first.json()["entered"] == 1
    assert first.headers["Location"] == f"/v1/engagement/launches/{first.json()['id']}"
    replay = client.post(LAUNCHES, json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    listed = client.get("/v1/engagement/launches", headers=admin_headers).json()["items"]
    assert [launch["id"] for launch in listed] == [first.json()["id"]]
    assert entered(db) == {alice: [first.json()["id"]]}


def test_a_second_launch_waits_for_the_first(
    client: Any, db: Database, settings: Settings, admin_headers: dict[str, str]
) -> None:
    person(db, "Alice")
    running = engagement.launch_journey(
        db, settings, SYSTEM, "new_arrivals", LaunchIn(audience=Audience(everyone=True)), inline_batches=0
    )
    assert isinstance(running, LaunchOut)
    refused = client.post(LAUNCHES, json={"audience": {"segments_any": ["vip"]}}, headers=admin_headers)
    assert refused.status_code == 409, refused.text
    assert running.id in refused.json()["detail"]
    # the worker runs the first (the request's answer said 202 for a launch larger than a batch)
    launch_runs.run(db, settings, running.id)
    again = client.post(LAUNCHES, json={"audience": {"segments_any": ["vip"]}}, headers=admin_headers)
    assert again.status_code == 201, again.text


# -- when messages go ---------------------------------------------------------------------------------------


def test_j30_at_ten_on_each_customers_clock(db: Database, settings: Settings) -> None:
    # Given customers in Paris, Réunion and Martinique
    paris = person(db, "Alice", postcode="75011")
    reunion = person(db, "Bruno", postcode="97411")
    martinique = person(db, "Chloe", postcode="97200")
    launch(db, settings, Audience(segments_any=["newsletter"]))
    # Then the announcement goes at once for everyone, J+30 at 10:00 local
    for customer_id, zone in (
        (paris, "Europe/Paris"),
        (reunion, "Indian/Reunion"),
        (martinique, "America/Martinique"),
    ):
        found = messages(db, customer_id)
        assert found["announcement/email"].planned_at == NOW
        assert found["follow_up/email"].planned_at == J30[zone]
        assert found["follow_up/email"].due_at == J30[zone]
        assert found["follow_up/email"].status == "scheduled"
        assert found["follow_up/email"].template == "new_arrivals_follow_up"
        assert found["follow_up/email"].purpose == "marketing"


def test_consent_is_checked_again_when_a_message_is_due(db: Database, settings: Settings) -> None:
    # Given Alice and Bruno launched into new arrivals, both with an opt-in
    alice, bruno = person(db, "Alice"), person(db, "Bruno")
    launch(db, settings, Audience(segments_any=["newsletter"]))
    # When Bruno withdraws before J+30 and the sender runs at J+30
    with UnitOfWork(db) as uow:
        customers.record_consents(
            uow, bruno, [ConsentIn(purpose="marketing", channel="email", granted=False)], "web"
        )
        uow.commit()
    clock.set_clock(lambda: J30["Europe/Paris"])
    engagement.send_due(db, settings)
    # Then Bruno's messages are skipped for want of consent; Alice's went past the consent check
    for step in ("announcement/email", "follow_up/email"):
        assert messages(db, bruno)[step].status == "skipped"
        assert messages(db, bruno)[step].hold_code == "no_consent"
        assert messages(db, alice)[step].hold_code != "no_consent"
        assert messages(db, alice)[step].status != "scheduled"  # taken by the sender


def test_a_launched_message_goes_out_by_mail_with_consent_checked_then(
    db: Database, settings: Settings, app: Any, inbox: Any
) -> None:
    # Given the retailer's own campaign: what the brand offers, launched to the newsletter's readers
    box, port = inbox
    settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
        }
    )
    campaign = JourneyDefinition(
        code="decouverte",
        name=Localised(fr="Découvrir la maison", en="Discover the house"),
        trigger="engagement.launched",
        subject_field="launch_id",
        purpose="marketing",
        steps=[Step(key="discover", template="welcome_discover", channels=["email"])],
    )
    with UnitOfWork(db) as uow:
        engagement.save_journey(uow, "decouverte", campaign, "test")
        uow.commit()
    alice, bruno = person(db, "Alice"), person(db, "Bruno")
    created = engagement.launch_journey(
        db, settings, SYSTEM, "decouverte", LaunchIn(audience=Audience(segments_any=["newsletter"]))
    )
    assert isinstance(created, LaunchOut) and created.entered == 2
    # When Bruno withdraws before the sender runs
    with UnitOfWork(db) as uow:
        customers.record_consents(
            uow, bruno, [ConsentIn(purpose="marketing", channel="email", granted=False)], "web"
        )
        uow.commit()
    engagement.send_due(db, settings)
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", settings.mail_from, timeout=10)
    Dispatcher(db, app.state.comptoir.bus, DispatcherConfig(backoff_base_seconds=0.0), mailer=mailer).drain()
    # Then only Alice's goes out, with RFC 8058's one-click fields; Bruno's is skipped for want of consent
    (mail,) = box.take()
    assert mail["To"] == "alice.x@exemple.fr"
    assert mail["List-Unsubscribe"] is not None and mail["List-Unsubscribe-Post"] is not None
    assert messages(db, alice)["discover/email"].status in ("queued", "sent")
    assert messages(db, bruno)["discover/email"].hold_code == "no_consent"


def published(db: Database, code: str, at: datetime) -> None:
    """Product ``code`` published on the website at ``at`` (as the catalogue records it)."""
    with UnitOfWork(db) as uow:
        product_id = catalog.product_id(uow, code)
        uow.session.add(Publication(product_id=product_id, channel="web", locale="fr_FR", published_at=at))
        uow.commit()


def test_the_new_arrivals_go_out_by_mail(shop: Database, settings: Settings, app: Any, inbox: Any) -> None:
    # Given the linen dress published on the website before the launch, the silk one not yet
    db = shop
    box, port = inbox
    settings = settings.model_copy(
        update={
            "base_url": "https://boutique.example.fr",
            "mail_from": "Comptoir <bonjour@boutique.example.fr>",
        }
    )
    published(db, "ROBE-LIN", NOW - timedelta(days=3))
    alice = person(db, "Alice", postcode="97411")
    launch(db, settings, Audience(segments_any=["newsletter"]))
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", settings.mail_from, timeout=10)
    worker = Dispatcher(db, app.state.comptoir.bus, DispatcherConfig(backoff_base_seconds=0.0), mailer=mailer)
    # When the announcement goes at once
    engagement.send_due(db, settings)
    worker.drain()
    (mail,) = box.take()
    # Then Alice gets the newest product, named in French, at the price she pays on the website
    assert mail["To"] == "alice.x@exemple.fr"
    assert mail["Subject"] == "Alice, nos nouveautés sont arrivées"
    assert mail["List-Unsubscribe"] is not None
    text = text_of(mail)
    assert "Robe en lin d'été" in text and "59,90\u00a0€" in text
    assert "https://boutique.example.fr/shop/p/ROBE-LIN" in text
    # When the silk dress is published ten days later and J+30 comes at 10:00 in Réunion
    published(db, "ROBE-SOIE", NOW + timedelta(days=10))
    clock.set_clock(lambda: J30["Indian/Reunion"])
    engagement.send_due(db, settings)
    worker.drain()
    (mail,) = box.take()
    # Then the follow-up tells what has arrived since: the silk dress alone
    assert mail["Subject"] == "Du nouveau depuis notre dernière lettre"
    text = text_of(mail)
    assert "89,00\u00a0€" in text and "59,90" not in text
    assert "https://boutique.example.fr/shop/p/ROBE-SOIE" in text
    assert {m.status for m in messages(db, alice).values()} <= {"queued", "sent"}


def test_the_follow_up_shows_the_newest_again_when_nothing_has_arrived_since(
    shop: Database, settings: Settings, app: Any, inbox: Any
) -> None:
    box, port = inbox
    settings = settings.model_copy(update={"base_url": "https://boutique.example.fr"})
    published(shop, "ROBE-LIN", NOW - timedelta(days=3))
    person(shop, "Alice")
    launch(shop, settings, Audience(segments_any=["newsletter"]))
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", settings.mail_from, timeout=10)
    worker = Dispatcher(
        shop, app.state.comptoir.bus, DispatcherConfig(backoff_base_seconds=0.0), mailer=mailer
    )
    for when in (NOW, J30["Europe/Paris"]):
        clock.set_clock(lambda when=when: when)
        engagement.send_due(shop, settings)
        worker.drain()
    announcement, follow_up = box.take()
    assert announcement["Subject"] == "Alice, nos nouveautés sont arrivées"
    assert follow_up["Subject"] == "Les nouveautés de la saison, si vous les avez manquées"
    assert "Robe en lin d'été" in text_of(follow_up) and "59,90" in text_of(follow_up)


def test_nothing_new_in_the_catalogue_skips_the_message(db: Database, settings: Settings) -> None:
    alice = person(db, "Alice")
    launch(db, settings, Audience(segments_any=["newsletter"]))
    engagement.send_due(db, settings)
    found = messages(db, alice)["announcement/email"]
    assert (found.status, found.hold_code) == ("skipped", "nothing_to_say")


# -- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "pointer"),
    [
        ({}, "#/audience"),
        ({"everyone": True, "segments_any": ["vip"]}, "#/audience"),
        ({"segments_any": ["VIP !"]}, "#/audience/segments_any/0"),
        ({"loyalty_tiers": ["platine"]}, "#/audience/loyalty_tiers/0"),
        ({"customer_ids": ["cus_nobody"]}, "#/audience/customer_ids/0"),
        ({"customer_ids": ["x"] * 1001}, "#/audience/customer_ids"),
    ],
)
def test_a_bad_audience_is_refused_naming_the_field(
    client: Any, db: Database, admin_headers: dict[str, str], audience: dict[str, Any], pointer: str
) -> None:
    refused = client.post(LAUNCHES, json={"audience": audience}, headers=admin_headers)
    assert refused.status_code == 422, refused.text
    assert pointer in [e.get("pointer") for e in refused.json()["errors"]]
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Launch)) == 0


def test_unknown_journeys_and_launches_are_not_found(client: Any, admin_headers: dict[str, str]) -> None:
    body = {"audience": {"everyone": True}}
    assert (
        client.post("/v1/engagement/journeys/nope/launches", json=body, headers=admin_headers).status_code
        == 404
    )
    assert client.get("/v1/engagement/launches/lau_nope", headers=admin_headers).status_code == 404
    # a journey an event starts is not launched
    refused = client.post("/v1/engagement/journeys/appointment/launches", json=body, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["parameter"] == "code"


def test_a_launched_journeys_steps_follow_no_other_event(client: Any, admin_headers: dict[str, str]) -> None:
    journey = client.get("/v1/engagement/journeys/new_arrivals", headers=admin_headers).json()["definition"]
    journey["steps"][1]["on"] = "orders.order_placed"
    refused = client.put("/v1/engagement/journeys/new_arrivals", json=journey, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "#/steps/1/on"
    journey["steps"][1]["on"] = None
    journey["steps"][1]["timing"]["anchor"] = "starts_at"
    refused = client.put("/v1/engagement/journeys/new_arrivals", json=journey, headers=admin_headers)
    assert refused.json()["errors"][0]["pointer"] == "#/steps/1/timing/anchor"
    # A journey of the retailer's own, launched: accepted
    journey["steps"][1]["timing"]["anchor"] = "event"
    journey["code"] = "soldes"
    saved = client.put("/v1/engagement/journeys/soldes", json=journey, headers=admin_headers)
    assert saved.status_code == 200, saved.text


# -- erasure ------------------------------------------------------------------------------------------------


def test_an_erased_customers_launched_journey_goes(
    db: Database, settings: Settings, dispatcher: Dispatcher
) -> None:
    alice, bruno = person(db, "Alice"), person(db, "Bruno")
    launch(db, settings, Audience(segments_any=["newsletter"]))
    with UnitOfWork(db) as uow:
        customers.erase(uow, alice, settings)
        uow.commit()
    dispatcher.drain()  # the engagement domain hears of the erasure
    assert sorted(entered(db)) == [bruno]
    assert messages(db, alice) == {}
    assert len(messages(db, bruno)) == 2
    # and an erased customer enters no later launch
    out = launch(db, settings, Audience(everyone=True, reenter=True))
    assert (out.matched, out.entered) == (1, 1)


# -- the command --------------------------------------------------------------------------------------------


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_the_launch_command(db: Database, cli: Any) -> None:
    person(db, "Alice", segments=("vip",))
    person(db, "Bruno", segments=("vip",), opt_in=False)
    counted = cli("engagement", "launch", "new_arrivals", "--segment", "vip", "--dry-run")
    assert counted.exit_code == 0, counted.output
    assert counted.output == "1 customer(s) would enter new_arrivals v0 (dry run)\n"
    done = cli("engagement", "launch", "new_arrivals", "--segment", "vip", "--no-consent")
    assert done.exit_code == 0, done.output
    assert "done" in done.output and "2 reached, 2 entered, 4 message(s) scheduled" in done.output
    refused = cli("engagement", "launch", "new_arrivals")
    assert refused.exit_code == 2
    assert "choose segments, loyalty tiers, customer ids, or everyone" in refused.output


# -- PostgreSQL: real concurrency ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_launches_at_once_enter_each_customer_once(
    db: Database, client: Any, admin_headers: dict[str, str]
) -> None:
    if not db.is_postgres:
        pytest.skip("concurrency is proven on PostgreSQL")
    people = crowd(db, 40)
    barrier, answers = threading.Barrier(2), []

    def post() -> None:
        barrier.wait()
        answers.append(
            client.post(LAUNCHES, json={"audience": {"segments_any": ["newsletter"]}}, headers=admin_headers)
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    # one launch ran; the other was refused while it ran, or entered nobody once it was done
    assert statuses in ([201, 409], [201, 201]), [a.text for a in answers]
    assert sorted(entered(db)) == sorted(people)
    assert all(len(subjects) == 1 for subjects in entered(db).values())


@pytest.mark.postgres
def test_one_launch_written_by_two_processes_at_once_enters_each_once(
    db: Database, settings: Settings
) -> None:
    if not db.is_postgres:
        pytest.skip("concurrency is proven on PostgreSQL")
    people = crowd(db, 60)
    created = engagement.launch_journey(
        db, settings, SYSTEM, "new_arrivals", LaunchIn(audience=Audience(everyone=True)), inline_batches=0
    )
    assert isinstance(created, LaunchOut)
    barrier, counts = threading.Barrier(2), []

    def write() -> None:
        barrier.wait()
        counts.append(_write_all(db, settings, created.id))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [(0, 0), (60, 120)]
    assert sorted(entered(db)) == sorted(people)
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Message)) == 120


@pytest.mark.postgres
def test_a_large_launch_written_by_two_writers_in_order(db: Database, settings: Settings) -> None:
    if not db.is_postgres:
        pytest.skip("two writers on PostgreSQL only")
    people = sorted(crowd(db, 25))
    out = launch(db, settings, Audience(everyone=True), batch=3, writers=2)
    assert (out.state, out.batches, out.matched, out.entered, out.messages) == ("done", 9, 25, 25, 50)
    assert sorted(entered(db)) == people
