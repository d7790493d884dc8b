"""The demo retailer: API keys for each channel, then each domain's demo data, in dependency order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from comptoir.core.auth import ApiKeyCreate, create_key
from comptoir.core.db import Database
from comptoir.core.models import ApiKey
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.domains import all_domains

DEMO_KEYS = [
    ApiKeyCreate(name="demo: back office", scopes=["*"]),
    ApiKeyCreate(
        name="demo: website",
        scopes=["*:read", "carts:write", "orders:write", "customers:write", "returns:write"],
        channel="web",
    ),
    ApiKeyCreate(
        name="demo: mobile app",
        scopes=["*:read", "carts:write", "orders:write", "customers:write", "returns:write"],
        channel="app",
    ),
    ApiKeyCreate(name="demo: call centre", scopes=["*:read", "*:write"], channel="call-centre"),
    ApiKeyCreate(
        name="demo: store Paris Rivoli", scopes=["*:read", "*:write"], channel="store:st_paris_rivoli"
    ),
    ApiKeyCreate(name="demo: live shopping", scopes=["*:read", "carts:write", "live:write"], channel="live"),
]


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
    for domain in all_domains():
        if domain.demo is not None:
            with UnitOfWork(db) as uow:
                domain.load_demo(uow, settings)
                uow.commit()
            yield f"demo {domain.name}: ready"
