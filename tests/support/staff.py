"""Employees for tests: a person with a role and shops, signed in to the pages (cookie + CSRF header)
or to the API (bearer session token)."""

from __future__ import annotations

import uuid
from typing import Any

from comptoir.core import staff
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import STAFF_COOKIE, csrf_token

PASSWORD = "correct horse battery staple"


def make_person(
    db: Database, role: str | Role = Role.ADMIN, shops: list[str] | None = None, *, email: str | None = None
) -> staff.StaffPersonOut:
    role = Role(role)
    if shops is None:
        shops = ["st_paris_rivoli"] if role in staff.SHOP_ROLES else []
    with UnitOfWork(db) as uow:
        person = staff.create_person(
            uow,
            staff.StaffPersonIn(
                email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
                name=f"Test {role.value}",
                role=role,
                shops=shops,
                password=PASSWORD,
            ),
        )
        uow.commit()
    return person


def open_session(
    db: Database, person: staff.StaffPersonOut, shop_id: str | None = None
) -> staff.StaffSessionOut:
    with UnitOfWork(db) as uow:
        out = staff.sign_in(uow, staff.StaffSignIn(email=person.email, password=PASSWORD, shop_id=shop_id))
        uow.commit()
    return out


def staff_token(db: Database, role: str | Role = Role.ADMIN, shops: list[str] | None = None) -> str:
    """A bearer token for the API, as the tablet app gets from ``POST /v1/staff/sessions``."""
    return open_session(db, make_person(db, role, shops)).token


def staff_headers(
    db: Database, role: str | Role = Role.ADMIN, shops: list[str] | None = None
) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(db, role, shops)}"}


def sign_in_pages(
    client: Any, db: Database, role: str | Role = Role.ADMIN, shops: list[str] | None = None
) -> staff.StaffSessionOut:
    """Sign the test client in to the pages as a new employee; its later requests carry the session
    cookie and the CSRF token (as HTMX sends it), so form posts need nothing more."""
    session = open_session(db, make_person(db, role, shops))
    client.cookies.set(STAFF_COOKIE, session.token)
    secret = client.app.state.comptoir.settings.secret_key
    client.headers["X-CSRF-Token"] = csrf_token(secret, session.session_id)
    return session
