"""The appointments benchmark's retailer (``bench/appointments.py``): places, advisors, services, customers
and the bookings already made, loaded alike into SQLite and PostgreSQL.

* 50 stores over France (mainland and La Réunion), each at a real postcode's coordinates (from
  the bundled postcode table, a few hundred metres off), with one of three weekly patterns: Monday to
  Saturday 10:00–19:00; 09:30–19:30 and Sunday mornings; or a lunch break on weekdays.
* 200 advisors, 4 a store: staff people (through ``core.staff``) with an advisor profile (through
  ``appointments.service.put_advisor``): 2 to 3 skills, French and maybe other languages, 4 or 5 days
  a week at their store, some starting an hour late.
* 5 services of 30 to 90 minutes, with buffers, 1 to 4 languages, offered in every store.
* 64 customers, each with a session (the bookings' clients sign in as one of them).
* The bookings: 20 % of every advisor's working time over the next 30 days (about 7,400), blocks
  (service time and buffers) drawn at random in each working range. They are written in bulk, not
  through ``appointments.service.book``: the service takes about 7 ms a booking in one process on
  PostgreSQL, 50 s a database — more than ``--quick`` may take in all. Each is one
  ``appointments_appointments`` row, ``booked`` for one of the customers, and its claim rows, one per
  5-minute bucket of its block, inserted as the booking path inserts them — so the claims' primary key
  refuses any overlap, as it would between real bookings. No outbox event is written for them.
  :func:`check` then asks the engine about a sample: a booked start is not offered at its advisor's,
  and booking it with that advisor through the service answers 409.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

SECRET = "bench-secret-key-0123456789-0123456789"  # the servers' (bench/_http.py)
POSTCODES = [
    *("75001", "75006", "75008", "75011", "75015", "75017", "92200", "92100", "78000", "94300", "93200"),
    *("77300", "69002", "69006", "13001", "13008", "31000", "06000", "44000", "67000", "34000", "33000"),
    *("59000", "35000", "51100", "76600", "42000", "83000", "38000", "21000", "49000", "30000", "69100"),
    *("63000", "72000", "13100", "29200", "37000", "80000", "87000", "74000", "66000", "57000", "25000"),
    *("45000", "76000", "14000", "54000", "84000", "97400"),
]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Store hours: day -> [(opens, closes)].
PATTERNS: tuple[dict[str, list[tuple[str, str]]], ...] = (
    {d: [("10:00", "19:00")] for d in WEEKDAYS[:6]},
    {**{d: [("09:30", "19:30")] for d in WEEKDAYS[:6]}, "sunday": [("10:00", "13:00")]},
    {**{d: [("10:00", "12:30"), ("14:00", "19:00")] for d in WEEKDAYS[:5]}, "saturday": [("10:00", "19:00")]},
)
ADVISORS_PER_PLACE = 4
SKILLS = ("styling", "fitting", "alterations", "beauty", "personal_shopping")
EXTRA_LANGUAGES = (("en", 0.5), ("es", 0.2), ("de", 0.1), ("it", 0.15), ("ar", 0.1), ("zh", 0.05))
SERVICES: tuple[dict[str, Any], ...] = (
    {"code": "conseil-style", "kind": "styling", "duration_min": 45, "buffer_before_min": 5,
     "buffer_after_min": 10, "skills": ["styling"], "languages": ["fr", "en"]},
    {"code": "retouches", "kind": "alterations", "duration_min": 30, "buffer_after_min": 5,
     "skills": ["alterations"], "languages": ["fr"]},
    {"code": "personal-shopping", "kind": "personal_shopping", "duration_min": 90, "buffer_before_min": 10,
     "buffer_after_min": 15, "skills": ["personal_shopping"], "languages": ["fr", "en", "es"]},
    {"code": "soin-beaute", "kind": "beauty", "duration_min": 60, "buffer_after_min": 10,
     "skills": ["beauty"], "languages": ["fr", "en", "it"]},
    {"code": "essayage-mariage", "kind": "fitting", "duration_min": 75, "buffer_before_min": 15,
     "buffer_after_min": 15, "skills": ["fitting", "styling"], "languages": ["fr", "en", "de", "ar"]},
)  # fmt: skip
CUSTOMERS = 64
BOOKED_SHARE = 0.20
BOOKED_DAYS = 30


@dataclass
class Retailer:
    """What the benchmark asks about, in one database."""

    services: dict[str, tuple[str, list[str]]]  # code -> (id, languages)
    places: list[str]
    key: str  # a publishable key of the web channel (appointments read and write)
    customers: list[tuple[str, str]]  # (customer id, session token)
    bookings: int = 0
    booked_minutes: int = 0
    working_minutes: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)  # bookings to check


def _place(uow: Any, index: int, postcode: str) -> str:
    from comptoir.stores import geocode
    from comptoir.stores import service as stores
    from comptoir.stores.schemas import PlaceIn

    point = geocode.lookup(postcode)
    assert point is not None, postcode
    rng = random.Random(index)
    weekly = [
        {"day": d, "opens": o, "closes": c}
        for d, ranges in PATTERNS[index % len(PATTERNS)].items()
        for o, c in ranges
    ]
    locality = point.locality.split(" ")[0] if "Arrondissement" in point.locality else point.locality
    place_id = f"st_bench_{index:02d}"
    stores.create_place(
        uow,
        PlaceIn.model_validate(
            {
                "id": place_id,
                "name": f"Comptoir {point.locality}",
                "address": {
                    "lines": [f"{rng.randint(1, 120)} rue de la République"],
                    "postal_code": postcode,
                    "locality": locality,
                },
                "latitude": round(point.latitude + rng.uniform(-0.004, 0.004), 5),
                "longitude": round(point.longitude + rng.uniform(-0.004, 0.004), 5),
                "services": ["click_and_collect", "appointments"],
                "hours": {"weekly": weekly},
            }
        ),
    )
    return place_id


def _advisor_in(index: int, place_id: str, rng: random.Random) -> dict[str, Any]:
    pattern = PATTERNS[int(place_id[-2:]) % len(PATTERNS)]
    days = [d for d in WEEKDAYS if d in pattern and d != "sunday"]
    rng.shuffle(days)
    late = index % 3 == 0  # starts an hour late (and stays until closing)
    weekly = []
    for day in days[: rng.choice((4, 5, 5))]:
        for n, (opens, closes) in enumerate(pattern[day]):
            if late and n == 0:
                hh, mm = opens.split(":")
                opens = f"{int(hh) + 1:02d}:{mm}"
            weekly.append({"day": day, "start": opens, "end": closes, "place_id": place_id})
    skills = rng.sample(SKILLS, rng.choice((2, 2, 3)))
    languages = ["fr"] + [lang for lang, share in EXTRA_LANGUAGES if rng.random() < share]
    return {"skills": skills, "languages": languages, "place_ids": [place_id], "weekly": weekly}


def _people(uow: Any, places: list[str], rng: random.Random) -> None:
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import AdvisorIn
    from comptoir.core import staff
    from comptoir.core.access import Role

    for p, place_id in enumerate(places):
        for n in range(ADVISORS_PER_PLACE):
            index = p * ADVISORS_PER_PLACE + n
            person = staff.create_person(
                uow,
                staff.StaffPersonIn(
                    email=f"conseil{index:03d}@comptoir.example",
                    name=f"Conseiller {index:03d}",
                    role=Role.ADVISOR,
                    shops=[place_id],
                ),
            )
            appointments.put_advisor(
                uow, person.id, AdvisorIn.model_validate(_advisor_in(index, place_id, rng))
            )


def _services(uow: Any, places: list[str]) -> dict[str, tuple[str, list[str]]]:
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import ServiceIn

    out = {}
    for spec in SERVICES:
        created = appointments.create_service(
            uow,
            ServiceIn.model_validate(
                {
                    **spec,
                    "names": {"fr": spec["code"].replace("-", " ").capitalize(), "en": spec["code"]},
                    "channels": ["web", "app", "store", "call-centre"],
                    "location": "places",
                    "place_ids": places,
                    "min_notice_min": 60,
                    "horizon_days": 60,
                }
            ),
        )
        out[created.code] = (created.id, list(created.languages))
    return out


def _customers(db: Any) -> list[tuple[str, str]]:
    from comptoir.core.settings import Settings
    from comptoir.core.uow import UnitOfWork
    from comptoir.customers import accounts
    from comptoir.customers import service as customers
    from comptoir.customers.schemas import CustomerRecord

    settings = Settings(secret_key=SECRET)
    found = []
    with UnitOfWork(db) as uow:
        for i in range(CUSTOMERS):
            customer_id = customers.ingest(
                uow,
                "web",
                CustomerRecord(
                    given_name="Cliente", family_name=f"Rendez-vous{i:03d}", email=f"rdv{i:03d}@exemple.fr"
                ),
            ).customer_id
            found.append((customer_id, accounts.issue_session(uow, settings, customer_id).token))
        uow.commit()
    return found


def build(url: str, now: datetime) -> Retailer:
    """The retailer in the (migrated, empty) database at ``url``, its bookings made as of ``now``."""
    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    rng = random.Random(7)
    db = Database(url, pool_size=2)
    with UnitOfWork(db) as uow:
        places = [_place(uow, i, postcode) for i, postcode in enumerate(POSTCODES)]
        services = _services(uow, places)
        _people(uow, places, rng)
        key = create_key(
            uow,
            ApiKeyCreate(name="bench web", scopes=["appointments:read", "appointments:write"], channel="web"),
        ).token
        uow.commit()
    retailer = Retailer(services, places, key, _customers(db))
    _book_in_bulk(db, retailer, now, rng)
    db.dispose()
    return retailer


# -- the bookings already made ---------------------------------------------------------------------------


def _blocks(
    spans: list[tuple[int, int]], shapes: list[tuple[str, int, int, int]], rng: random.Random
) -> list[tuple[str, int]]:
    """(service code, start) of bookings filling about ``BOOKED_SHARE`` of each working span, their
    blocks (buffers included) inside it and apart from each other."""
    out = []
    budget = 0.0  # booked time owed so far (what a span could not take goes to the next ones)
    for lo, hi in spans:
        taken: list[tuple[int, int]] = []
        budget += BOOKED_SHARE * (hi - lo)
        for _ in range(60):
            code, duration, before, after = rng.choice(shapes)
            first, last = -(-(lo + before) // 15) * 15, hi - duration - after
            if last < first or before + duration + after > budget:
                continue
            start = first + 15 * rng.randint(0, (last - first) // 15)
            block = (start - before, start + duration + after)
            if any(s < block[1] and block[0] < e for s, e in taken):
                continue
            taken.append(block)
            budget -= block[1] - block[0]
            out.append((code, start))
    return out


def _booking(
    retailer: Retailer, advisor: Any, place_id: str, timezone: str, code: str, start: int, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One booked appointment (its row) at ``start`` (epoch minutes), and its claim rows."""
    from comptoir.appointments import policies
    from comptoir.core.ids import new_id

    spec = {s["code"]: s for s in SERVICES}[code]
    service_id, languages = retailer.services[code]
    rng = random.Random(start)
    block = (
        start - spec.get("buffer_before_min", 0),
        start + spec["duration_min"] + spec.get("buffer_after_min", 0),
    )
    appointment_id = new_id("apt")
    starts_at = policies.instant(start)
    row = {
        "id": appointment_id,
        "service_id": service_id,
        "place_id": place_id,
        "advisor_id": advisor.id,
        "resource_id": None,
        "session_id": None,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=spec["duration_min"]),
        "block_start": policies.instant(block[0]),
        "block_end": policies.instant(block[1]),
        "timezone": timezone,
        "status": "booked",
        "hold_expires_at": None,
        "customer_id": rng.choice(retailer.customers)[0],
        "channel": "web",
        "language": rng.choice([lang for lang in languages if lang in advisor.languages]),
        "customer_note": "",
        "advisor_notes": "",
        "assignment": "Booked by the benchmark's fixture.",
        "sequence": 0,
        "disrupted_at": None,
        "disruption": "",
        "alternatives": [],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_channel": "web",
        "updated_channel": "web",
    }
    claims = [
        {
            "subject": f"advisor:{advisor.id}",
            "bucket": policies.instant(b),
            "seat": 0,
            "holder_id": appointment_id,
        }
        for b in policies.buckets(block)
    ]
    retailer.booked_minutes += block[1] - block[0]
    return row, claims


def _book_in_bulk(db: Any, retailer: Retailer, now: datetime, rng: random.Random) -> None:
    from comptoir.appointments import policies
    from comptoir.appointments.models import Advisor, Appointment, Claim
    from comptoir.core.uow import UnitOfWork

    first_day = now.astimezone(ZoneInfo("Europe/Paris")).date()
    days = [first_day + timedelta(days=n) for n in range(BOOKED_DAYS + 1)]
    earliest = policies.minutes(now) + 60
    latest = policies.minutes(now) + BOOKED_DAYS * 24 * 60
    appointments: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    with UnitOfWork(db, read_only=True) as uow:
        columns = (Advisor.id, Advisor.place_ids, Advisor.skills, Advisor.languages, Advisor.weekly)
        advisors = uow.session.execute(select(*columns).order_by(Advisor.id)).all()
        zones = _zones(uow, retailer.places)
    for advisor in advisors:
        place_id = advisor.place_ids[0]
        shapes = [
            (s["code"], s["duration_min"], s.get("buffer_before_min", 0), s.get("buffer_after_min", 0))
            for s in SERVICES
            if set(s["skills"]) <= set(advisor.skills) and set(s["languages"]) & set(advisor.languages)
        ]
        working = policies.working_spans(
            policies.work_ranges(advisor.weekly), {}, place_id, ZoneInfo(zones[place_id]), days
        )
        spans = [
            (max(lo, earliest), min(hi, latest)) for lo, hi in working if min(hi, latest) > max(lo, earliest)
        ]
        retailer.working_minutes += sum(hi - lo for lo, hi in spans)
        for code, start in _blocks(spans, shapes, rng) if shapes else []:
            row, taken = _booking(retailer, advisor, place_id, zones[place_id], code, start, now)
            appointments.append(row)
            claims += taken
    with db.engine.begin() as conn:
        for n in range(0, len(appointments), 2000):
            conn.execute(insert(Appointment.__table__), appointments[n : n + 2000])
        for n in range(0, len(claims), 20000):
            conn.execute(insert(Claim.__table__), claims[n : n + 20000])
        conn.exec_driver_sql("ANALYZE")
    retailer.bookings = len(appointments)
    retailer.sample = rng.sample(appointments, min(20, len(appointments)))


def _zones(uow: Any, places: list[str]) -> dict[str, str]:
    from comptoir.stores import service as stores

    return {p: out.timezone for p, out in stores.get_places(uow, places).items()}


def check(url: str, retailer: Retailer, now: datetime) -> int:
    """Ask the engine about the sample of bulk bookings: each start is offered to nobody else at its
    advisor's, and booking it with that advisor through the service answers 409. How many checked."""
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import BookIn, SlotIn
    from comptoir.core.db import Database
    from comptoir.core.errors import Conflict
    from comptoir.core.uow import UnitOfWork

    db = Database(url, pool_size=1)
    for row in retailer.sample:
        tz = ZoneInfo(row["timezone"])
        local = row["starts_at"].astimezone(tz)
        query = appointments.SlotQuery(
            service_id=row["service_id"],
            first_day=local.date(),
            days=1,
            place_ids=(row["place_id"],),
            advisor_id=row["advisor_id"],
        )
        with UnitOfWork(db, read_only=True) as uow:
            found = appointments.search_slots(uow, query, "back-office", now)
        offered = {t for p in found.places for d in p.days if d.date == local.date() for t in d.times}
        assert local.strftime("%H:%M") not in offered, (row, offered)
        slot = SlotIn(
            service_id=row["service_id"],
            place_id=row["place_id"],
            starts_at=row["starts_at"],
            advisor_id=row["advisor_id"],
            language=row["language"],
        )
        try:
            with UnitOfWork(db) as uow:
                appointments.book(uow, BookIn(slot=slot, customer_id=row["customer_id"]))
                uow.commit()
        except Conflict:
            continue
        raise AssertionError(f"booked twice: {row}")
    db.dispose()
    return len(retailer.sample)
