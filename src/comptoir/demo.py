"""The demo retailer: API keys for each channel, then each domain's demo data, in dependency order."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from comptoir.core import staff
from comptoir.core.access import SHOPPING_SCOPES, Role
from comptoir.core.auth import ApiKeyCreate, create_key
from comptoir.core.db import Database
from comptoir.core.models import ApiKey, StaffPerson
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.domains import all_domains

SHOPPING = list(SHOPPING_SCOPES)
DEMO_KEYS = [
    ApiKeyCreate(name="demo: back office", scopes=["*"]),
    ApiKeyCreate(name="demo: website", kind="publishable", scopes=SHOPPING, channel="web"),
    ApiKeyCreate(name="demo: mobile app", kind="publishable", scopes=SHOPPING, channel="app"),
    ApiKeyCreate(name="demo: call centre", scopes=["*:read", "*:write"], channel="call-centre"),
    ApiKeyCreate(
        name="demo: store Paris Rivoli",
        kind="shop",
        scopes=["*:read", "*:write"],
        channel="store:st_paris_rivoli",
    ),
    ApiKeyCreate(name="demo: live shopping", kind="publishable", scopes=SHOPPING, channel="live"),
]
# Employees who sign in to the pages and the tablet as themselves (passwords made at load, shown once).
DEMO_STAFF = [
    ("admin@comptoir.localhost", "Camille Administratrice", Role.ADMIN, []),
    ("siege@comptoir.localhost", "Hugo Back-office", Role.BACK_OFFICE, []),
    ("vendeuse.rivoli@comptoir.localhost", "Léa Vendeuse", Role.SELLER, ["st_paris_rivoli"]),
    ("gerant.rivoli@comptoir.localhost", "Karim Gérant", Role.SHOP_MANAGER, ["st_paris_rivoli"]),
    ("service.client@comptoir.localhost", "Inès Service client", Role.SERVICE_AGENT, []),
]


def _demo_staff(db: Database, keys_file: Path) -> Iterator[str]:
    made: list[tuple[str, str, str]] = []
    with UnitOfWork(db) as uow:
        existing = set(uow.session.scalars(select(StaffPerson.email)))
        for email, name, role, shops in DEMO_STAFF:
            if email in existing:
                continue
            password = secrets.token_urlsafe(12)
            staff.create_person(
                uow, staff.StaffPersonIn(email=email, name=name, role=role, shops=shops, password=password)
            )
            made.append((email, role.value, password))
        uow.commit()
    if not made:
        return
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    with keys_file.open("a", encoding="utf-8") as fh:
        for email, role_name, password in made:
            fh.write(f"staff: {role_name}\t{email}\t{password}\n")
    yield f"demo employees (sign in at /pages/sign-in; passwords in {keys_file}, shown once):"
    for email, role_name, password in made:
        yield f"  {role_name:<14} {email:<38} {password}"


def load_demo(db: Database, settings: Settings, *, keys_file: Path) -> Iterator[str]:
    with UnitOfWork(db) as uow:
        existing = set(uow.session.scalars(select(ApiKey.name).where(ApiKey.name.startswith("demo: "))))
        created = [create_key(uow, k) for k in DEMO_KEYS if k.name not in existing]
        uow.commit()
    if created:
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        with keys_file.open("a", encoding="utf-8") as fh:
            for key in created:
                fh.write(f"{key.name}\t{key.channel or 'back office'}\t{key.token}\n")
        yield f"demo API keys written to {keys_file} (shown once):"
        for key in created:
            yield f"  {key.name:<22} {key.token}"
    else:
        yield f"demo API keys already exist (tokens in {keys_file})"
    yield from _demo_staff(db, keys_file)
    for domain in all_domains():
        if domain.demo is not None:
            with UnitOfWork(db) as uow:
                domain.load_demo(uow, settings)
                uow.commit()
            yield f"demo {domain.name}: ready"
