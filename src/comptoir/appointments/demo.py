"""appointments: the demo retailer's appointments.

Eight services, named in French and English (styling advice, alterations, a private fitting in a
fitting room, a group workshop of eight seats, a beauty treatment in a cabin, personal shopping, a
private opening, a live video consultation from a studio); the rooms they need; two or three advisors
in each of the ten shops offering appointments (staff people with the role advisor, no password),
written as the rows ``comptoir import advisors`` reads; and a few bookings of demo customers.

Loaded once (skipped when the services exist), through the service. The bookings take the first slots
the engine offers from the day after loading on, so they are always ahead of the real clock and inside
the shops' and the advisors' hours, whatever the day the demo is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from comptoir.appointments import importer, service
from comptoir.appointments.availability import SlotQuery
from comptoir.appointments.models import Service
from comptoir.appointments.schemas import BookIn, ResourceIn, ServiceIn, SlotIn
from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.stores import service as stores

RIVOLI, RENNES_PARIS, LILLE, NANTES = "st_paris_rivoli", "st_paris_rennes", "st_lille_centre", "st_nantes"
BORDEAUX, TOULOUSE, MARSEILLE, NICE = "st_bordeaux", "st_toulouse", "st_marseille", "st_nice"
LYON, STRASBOURG = "st_lyon_republique", "st_strasbourg"
# The demo shops offering appointments (the stores demo's "appointments" service).
SHOPS = (RIVOLI, RENNES_PARIS, LILLE, NANTES, BORDEAUX, TOULOUSE, MARSEILLE, NICE, LYON, STRASBOURG)
FLAGSHIPS = (RIVOLI, RENNES_PARIS, BORDEAUX, MARSEILLE, NICE, LYON)
DEMO_EMAIL = "camille.martin@example.com"
EVERYWHERE = ["web", "app", "store", "call-centre"]

# code, kind, (fr, en) names, (fr, en) descriptions, the rest of ServiceIn
SERVICES: list[tuple[str, str, tuple[str, str], tuple[str, str], dict[str, Any]]] = [
    (
        "conseil-style",
        "styling",
        ("Conseil en style", "Styling advice"),
        (
            "Un conseiller ou une conseillère vous aide à composer des tenues selon votre morphologie, vos "
            "couleurs et vos envies.",
            "An advisor helps you put outfits together for your shape, your colours and your plans.",
        ),
        dict(
            duration_min=45,
            buffer_before_min=5,
            buffer_after_min=10,
            channels=EVERYWHERE,
            skills=["styling"],
            languages=["fr", "en", "es", "it", "de"],
            place_ids=list(SHOPS),
            min_notice_min=120,
        ),
    ),
    (
        "retouches",
        "alterations",
        ("Retouches", "Alterations"),
        (
            "Prise de mesures et épinglage par notre retoucheuse ; vos pièces sont prêtes sous une semaine.",
            "Measuring and pinning by our seamstress; your pieces are ready within a week.",
        ),
        dict(
            duration_min=30,
            buffer_after_min=10,
            channels=["web", "store", "call-centre"],
            skills=["alterations"],
            languages=["fr"],
            place_ids=[RIVOLI, RENNES_PARIS, LILLE, BORDEAUX, MARSEILLE, LYON],
            horizon_days=30,
            cancel_cutoff_min=12 * 60,
        ),
    ),
    (
        "essayage-prive",
        "fitting",
        ("Essayage privé", "Private fitting"),
        (
            "Une cabine privée vous attend avec les pièces choisies en ligne ou avec votre conseiller.",
            "A private fitting room awaits you with the pieces chosen online or with your advisor.",
        ),
        dict(
            duration_min=60,
            buffer_before_min=10,
            buffer_after_min=15,
            channels=EVERYWHERE,
            skills=["styling"],
            languages=["fr", "en"],
            place_ids=list(SHOPS),
            resource_kind="fitting_room",
            min_notice_min=24 * 60,
        ),
    ),
    (
        "atelier-groupe",
        "workshop",
        ("Atelier de groupe : foulards et accessoires", "Group workshop: scarves and accessories"),
        (
            "Huit places autour de la table : nouer un foulard, assortir ceinture et bijoux, avec nos "
            "conseillers.",
            "Eight seats around the table: tying a scarf, matching belts and jewellery, with our advisors.",
        ),
        dict(
            duration_min=90,
            buffer_before_min=15,
            buffer_after_min=15,
            capacity=8,
            channels=["web", "app", "store"],
            skills=["workshop"],
            languages=["fr"],
            place_ids=[RIVOLI, BORDEAUX, LYON],
            min_notice_min=24 * 60,
            cancel_cutoff_min=48 * 60,
        ),
    ),
    (
        "soin-beaute",
        "beauty",
        ("Soin beauté express", "Express beauty treatment"),
        (
            "Trente minutes en cabine : diagnostic de peau, soin du visage et conseils de routine.",
            "Thirty minutes in the cabin: skin check, facial care and advice for your routine.",
        ),
        dict(
            duration_min=30,
            buffer_after_min=10,
            channels=["web", "app", "store"],
            skills=["beauty"],
            languages=["fr", "en"],
            place_ids=[RIVOLI, NICE, LYON],
            resource_kind="beauty_cabin",
            cancel_cutoff_min=12 * 60,
        ),
    ),
    (
        "personal-shopping",
        "personal_shopping",
        ("Personal shopping", "Personal shopping"),
        (
            "Une heure et demie avec un conseiller qui a préparé une sélection pour vous dans toute la boutique.",
            "An hour and a half with an advisor who has prepared a selection for you across the whole store.",
        ),
        dict(
            duration_min=90,
            buffer_before_min=15,
            buffer_after_min=15,
            channels=EVERYWHERE,
            skills=["personal_shopping"],
            languages=["fr", "en", "es", "it"],
            place_ids=list(FLAGSHIPS),
            min_notice_min=48 * 60,
            horizon_days=90,
            cancel_cutoff_min=48 * 60,
        ),
    ),
    (
        "ouverture-privee",
        "private_opening",
        ("Ouverture privée", "Private opening"),
        (
            "Le salon privé de la boutique rien que pour vous et vos proches, sur réservation auprès de la "
            "boutique ou du service client.",
            "The store's private lounge for you and your guests alone, booked with the store or customer service.",
        ),
        dict(
            duration_min=120,
            buffer_before_min=30,
            buffer_after_min=30,
            channels=["store", "call-centre"],
            skills=["personal_shopping"],
            languages=["fr", "en"],
            place_ids=[RIVOLI, NICE, LYON],
            min_notice_min=7 * 24 * 60,
            horizon_days=90,
            cancel_cutoff_min=72 * 60,
        ),
    ),
    (
        "consultation-video",
        "video",
        ("Consultation vidéo en direct", "Live video consultation"),
        (
            "Depuis chez vous : un conseiller vous montre les pièces en direct depuis notre studio.",
            "From home: an advisor shows you the pieces live from our studio.",
        ),
        dict(
            duration_min=30,
            buffer_before_min=5,
            buffer_after_min=5,
            channels=["web", "app", "live"],
            skills=["video"],
            languages=["fr", "en"],
            location="virtual",
            resource_kind="studio",
            cancel_cutoff_min=2 * 60,
        ),
    ),
]

# place, kind, name
RESOURCES = [
    *((p, "fitting_room", "Cabine d'essayage privée") for p in SHOPS if p not in (RIVOLI, LYON)),
    *((p, "fitting_room", f"Cabine d'essayage privée {n}") for p in (RIVOLI, LYON) for n in (1, 2)),
    *((p, "beauty_cabin", "Cabine beauté") for p in (RIVOLI, NICE, LYON)),
    (RIVOLI, "studio", "Studio vidéo Rivoli"),
    (LYON, "studio", "Studio vidéo République"),
]

# The rows of `comptoir import advisors`: e-mail (@comptoir.localhost), name, skills, languages, places,
# weekly hours (inside the shops' opening hours: 10:00-19:30, Rivoli and Nice 10:00-20:00 and Sundays).
ADVISORS: list[tuple[str, str, str, str, str, str]] = [
    ("elodie.marchand", "Élodie Marchand", "styling personal_shopping video", "fr en it", RIVOLI,
     "Mo-Fr 10:00-13:00,14:00-19:00"),
    ("mathieu.roux", "Mathieu Roux", "styling workshop video", "fr en", RIVOLI,
     "Tu-Sa 11:00-14:00,15:00-20:00"),
    ("nadia.benali", "Nadia Benali", "beauty styling", "fr en ar", RIVOLI,
     "We-Fr 12:00-20:00; Sa 10:00-18:00; Su 11:00-19:00"),
    ("josiane.perrin", "Josiane Perrin", "alterations", "fr", f"{RIVOLI} {RENNES_PARIS}",
     f"Mo-We 10:00-13:00,14:00-17:00 @{RIVOLI}; Th-Sa 10:00-13:00,14:00-18:00 @{RENNES_PARIS}"),
    ("antoine.girard", "Antoine Girard", "styling personal_shopping", "fr en es", RENNES_PARIS,
     "Tu-Sa 10:00-13:30,14:30-19:30"),
    ("pauline.delattre", "Pauline Delattre", "styling alterations", "fr en nl", LILLE,
     "Mo-Fr 10:00-13:00,14:00-18:00"),
    ("kevin.vandamme", "Kévin Vandamme", "styling", "fr en", LILLE, "We-Sa 11:00-19:30"),
    ("gaelle.legoff", "Gaëlle Le Goff", "styling", "fr en", NANTES, "Tu-Sa 10:00-13:00,14:00-19:00"),
    ("yann.guerin", "Yann Guérin", "styling", "fr", NANTES, "Mo-Fr 12:00-19:30"),
    ("margaux.dufour", "Margaux Dufour", "styling personal_shopping workshop", "fr en es", BORDEAUX,
     "Tu-Sa 10:00-14:00,15:00-19:00"),
    ("thomas.labat", "Thomas Labat", "styling alterations", "fr es", BORDEAUX,
     "Mo-Fr 10:00-13:00,14:00-18:30"),
    ("sophie.carrere", "Sophie Carrère", "styling", "fr es", TOULOUSE, "Mo-Fr 10:00-13:00,14:00-18:00"),
    ("julien.fabre", "Julien Fabre", "styling", "fr en", TOULOUSE, "We-Sa 11:00-19:30"),
    ("leila.haddad", "Leïla Haddad", "styling personal_shopping", "fr ar en", MARSEILLE,
     "Mo-Fr 10:00-13:00,14:00-18:00"),
    ("marc.giordano", "Marc Giordano", "styling alterations", "fr it", MARSEILLE, "Tu-Sa 11:00-19:30"),
    ("chiara.rossi", "Chiara Rossi", "styling personal_shopping", "fr it en", NICE,
     "Mo-Fr 10:00-13:00,14:00-19:00"),
    ("aurelie.baudin", "Aurélie Baudin", "beauty styling", "fr en", NICE,
     "We-Sa 12:00-20:00; Su 11:00-18:00"),
    ("clemence.morel", "Clémence Morel", "styling personal_shopping video", "fr en", LYON,
     "Mo-Fr 10:00-13:00,14:00-18:00"),
    ("romain.chevalier", "Romain Chevalier", "styling workshop video", "fr en de", LYON,
     "Tu-Sa 11:00-14:00,15:00-19:30"),
    ("samia.mansouri", "Samia Mansouri", "beauty alterations styling", "fr ar", LYON, "We-Sa 10:00-19:00"),
    ("anne.schmitt", "Anne Schmitt", "styling", "fr de en", STRASBOURG, "Mo-Fr 10:00-13:00,14:00-18:00"),
    ("lucas.muller", "Lucas Muller", "styling", "fr de", STRASBOURG, "We-Sa 11:00-19:30"),
]  # fmt: skip

# service, place, customer (a search), channel, days after loading, preferred local time
BOOKINGS = [
    ("conseil-style", RIVOLI, DEMO_EMAIL, "web", 2, "15:00"),
    ("atelier-groupe", RIVOLI, DEMO_EMAIL, "app", 6, "15:00"),
    ("atelier-groupe", RIVOLI, "dubois", f"store:{RIVOLI}", 6, "15:00"),
    ("atelier-groupe", RIVOLI, "moreau", "web", 6, "15:00"),
    ("essayage-prive", RIVOLI, "bernard", f"store:{RIVOLI}", 2, "11:00"),
    ("retouches", LILLE, "petit", "call-centre", 3, "10:30"),
    ("soin-beaute", LYON, "durand", "app", 2, "17:00"),
    ("personal-shopping", BORDEAUX, "leroy", "call-centre", 4, "14:00"),
    ("consultation-video", LYON, "lambert", "web", 1, "18:00"),
    ("conseil-style", MARSEILLE, "girard", "web", 5, "11:00"),
]


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Service.id).where(Service.code == SERVICES[0][0])) is not None:
        return
    if RIVOLI not in stores.get_places(uow, [RIVOLI]):
        return  # no demo shops: nothing to offer
    ids = _services(uow)
    for place_id, kind, name in RESOURCES:
        service.create_resource(uow, ResourceIn(place_id=place_id, kind=kind, name=name))
    _advisors(uow)
    _bookings(uow, settings, ids)


def _services(uow: UnitOfWork) -> dict[str, str]:
    ids = {}
    for code, kind, names, descriptions, rest in SERVICES:
        out = service.create_service(
            uow,
            ServiceIn.model_validate(
                {
                    "code": code,
                    "kind": kind,
                    "names": {"fr": names[0], "en": names[1]},
                    "descriptions": {"fr": descriptions[0], "en": descriptions[1]},
                    **rest,
                }
            ),
        )
        ids[code] = out.id
    return ids


def _advisors(uow: UnitOfWork) -> None:
    """Through the importer's own path: one row each, the employee created with the role advisor."""
    places = importer.load_places(uow)
    for number, (email, name, skills, languages, shops, weekly) in enumerate(ADVISORS, start=2):
        row = importer.parse_row(
            {
                "email": f"{email}@comptoir.localhost",
                "name": name,
                "skills": skills,
                "languages": languages,
                "places": shops,
                "weekly": weekly,
            },
            places,
        )
        importer.write_advisor(uow, row, number)


@contextmanager
def _acting_as(uow: UnitOfWork, channel: str) -> Iterator[None]:
    """Record what follows as done on ``channel`` (the demo stands in for the website, the tablet…)."""
    previous = uow.actor
    uow.actor = Actor(key_id=None, channel=channel, scopes=frozenset({"*"}))
    try:
        yield
    finally:
        uow.actor = previous


def _customer(uow: UnitOfWork, query: str, taken: set[str]) -> str | None:
    for hit in customers.search(uow, query, limit=10):
        if "@" in query and hit.customer.email != query:
            continue
        if hit.customer.id not in taken or "@" in query:
            return hit.customer.id
    return None


def _slot(
    uow: UnitOfWork, service_id: str, place_id: str, first_day: date, preferred: str, kind: str
) -> datetime | None:
    """The offered start nearest ``preferred`` (local) on the first day with slots from ``first_day``."""
    found = service.search_slots(
        uow, SlotQuery(service_id, first_day, days=14, place_ids=(place_id,)), kind, clock.now()
    )
    for place in found.places:
        for day in place.days:
            if not day.times:
                continue
            want = time.fromisoformat(preferred)
            best = min(day.times, key=lambda t: abs(_minutes(time.fromisoformat(t)) - _minutes(want)))
            return datetime.combine(day.date, time.fromisoformat(best), tzinfo=ZoneInfo(place.timezone))
    return None


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _bookings(uow: UnitOfWork, settings: Settings, ids: dict[str, str]) -> None:
    """A few bookings of demo customers (none when the customers demo is not loaded)."""
    today = clock.now().astimezone(ZoneInfo("Europe/Paris")).date()
    taken: set[str] = set()
    sessions: dict[tuple[str, str], datetime] = {}
    for code, place_id, query, channel, days, preferred in BOOKINGS:
        customer_id = _customer(uow, query, taken)
        if customer_id is None:
            continue
        kind = service.channel_kind(channel)
        try:
            with uow.savepoint(), _acting_as(uow, channel):
                starts_at = sessions.get((code, place_id)) or _slot(
                    uow, ids[code], place_id, today + timedelta(days=days), preferred, kind
                )
                if starts_at is None:
                    continue
                slot = SlotIn(service_id=ids[code], place_id=place_id, starts_at=starts_at)
                service.book(uow, BookIn(slot=slot, customer_id=customer_id), settings)
        except Problem:
            continue  # the shop closed that day, the slot went: the demo moves on
        taken.add(customer_id)
        sessions[(code, place_id)] = starts_at
