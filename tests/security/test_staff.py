"""Employees sign in as themselves: password, TOTP, lockout, sessions they end, blocking, audit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest

from comptoir.core import clock, staff
from comptoir.core.models import StaffAudit, StaffPerson
from comptoir.core.uow import UnitOfWork
from tests.support.staff import PASSWORD, make_person, staff_headers


def sign_in(client, email: str, password: str = PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post("/v1/staff/sessions", json={"email": email, "password": password, **extra})


def test_sign_in_then_act_as_oneself(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "shop_manager", ["st_lyon"])
    session = sign_in(client, person.email.upper())
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    assert token.startswith("cps_") and session.json()["shop_id"] == "st_lyon"
    me = client.get("/v1/staff/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["id"] == person.id
    # one answer whatever is wrong: unknown address, wrong password
    unknown = sign_in(client, "nobody@example.com")
    wrong = sign_in(client, person.email, "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "seller", ["st_lyon"])
    for _ in range(staff.MAX_FAILED_ATTEMPTS):
        assert sign_in(client, person.email, "wrong password!").status_code == 401
    assert sign_in(client, person.email).status_code == 401  # locked
    with UnitOfWork(db) as uow:
        row = uow.session.get(StaffPerson, person.id)
        assert row is not None and row.locked_until is not None
        row.locked_until = clock.now() - timedelta(seconds=1)  # the lock ran out
        uow.commit()
    assert sign_in(client, person.email).status_code == 201


@pytest.mark.postgres
def test_parallel_guesses_never_check_more_passwords_than_the_limit(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if not db.is_postgres:
        pytest.skip("parallel writers are a PostgreSQL matter; SQLite serialises them")
    pg_db = db
    person = make_person(pg_db, "seller", ["st_lyon"])
    checked = []
    real_verify = staff._verify

    def counting(password_hash: str, password: str) -> bool:
        if password_hash != staff._dummy():
            checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(staff, "_verify", counting)
    barrier = threading.Barrier(40)
    refused = []

    def guess(n: int) -> None:
        barrier.wait()
        with UnitOfWork(pg_db) as uow:
            try:
                staff.sign_in(uow, staff.StaffSignIn(email=person.email, password=f"guess number {n}"))
            except Exception:
                refused.append(n)
            uow.commit()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 40
    assert len(checked) <= staff.MAX_FAILED_ATTEMPTS


def test_two_factor_sign_in(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "back_office")
    auth = {"Authorization": f"Bearer {sign_in(client, person.email).json()['token']}"}
    enrolment = client.post("/v1/staff/me/totp", headers=auth).json()
    totp = pyotp.TOTP(enrolment["secret"])
    assert client.post("/v1/staff/me/totp/confirm", json={"code": "000000"}, headers=auth).status_code in (
        422,
    )
    confirmed = client.post("/v1/staff/me/totp/confirm", json={"code": totp.now()}, headers=auth)
    assert confirmed.status_code == 200 and confirmed.json()["totp_enabled"] is True
    assert sign_in(client, person.email).status_code == 401  # the code is now required
    # the code used to confirm cannot be replayed; the next one works
    later = totp.at(clock.now() + timedelta(seconds=30))
    assert sign_in(client, person.email, totp_code=later).status_code == 201
    assert sign_in(client, person.email, totp_code=later).status_code == 401


def test_sign_out_everywhere_and_blocking_end_every_session(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "seller", ["st_lyon"])
    tablet = {"Authorization": f"Bearer {sign_in(client, person.email).json()['token']}"}
    laptop = {"Authorization": f"Bearer {sign_in(client, person.email).json()['token']}"}
    assert len(client.get("/v1/staff/me/sessions", headers=tablet).json()) == 2
    assert client.delete("/v1/staff/me/sessions", headers=laptop).json() == {"ended": 2}
    assert client.get("/v1/staff/me", headers=tablet).status_code == 401
    assert client.get("/v1/staff/me", headers=laptop).status_code == 401
    # an administrator blocks an employee: their new session ends at once
    again = {"Authorization": f"Bearer {sign_in(client, person.email).json()['token']}"}
    admin = staff_headers(db, "admin")
    blocked = client.patch(f"/v1/staff/people/{person.id}", json={"blocked": True}, headers=admin)
    assert blocked.status_code == 200 and blocked.json()["blocked"] is True
    assert client.get("/v1/staff/me", headers=again).status_code == 401
    assert sign_in(client, person.email).status_code == 401


def test_a_shop_manager_manages_their_shops_sellers_only(client, db) -> None:  # type: ignore[no-untyped-def]
    manager = staff_headers(db, "shop_manager", ["st_lyon"])
    body = {"email": "new.seller@example.com", "name": "Nouvelle", "role": "seller", "shops": ["st_lyon"]}
    assert client.post("/v1/staff/people", json=body, headers=manager).status_code == 201
    other = {**body, "email": "x@example.com", "shops": ["st_paris_rivoli"]}
    assert client.post("/v1/staff/people", json=other, headers=manager).status_code == 403
    admin_role = {**body, "email": "y@example.com", "role": "admin", "shops": []}
    assert client.post("/v1/staff/people", json=admin_role, headers=manager).status_code == 403
    seller = staff_headers(db, "seller", ["st_lyon"])
    assert (
        client.post("/v1/staff/people", json={**body, "email": "z@example.com"}, headers=seller).status_code
        == 403
    )


def test_every_write_of_an_employee_is_recorded(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "admin")
    auth = {"Authorization": f"Bearer {sign_in(client, person.email).json()['token']}"}
    made = client.post("/v1/keys", json={"name": "integration", "scopes": ["orders:read"]}, headers=auth)
    assert made.status_code == 201 and made.json()["created_by"] == person.id
    with UnitOfWork(db) as uow:
        roles = [r.role for r in uow.session.query(StaffAudit).filter(StaffAudit.person_id == person.id)]
    assert roles and set(roles) == {"admin"}


def test_pages_sign_in_with_a_second_factor_and_a_csrf_token(client, db) -> None:  # type: ignore[no-untyped-def]
    person = make_person(db, "back_office")
    secret = pyotp.random_base32()
    with UnitOfWork(db) as uow:
        row = uow.session.get(StaffPerson, person.id)
        assert row is not None
        row.totp_secret, row.totp_enabled = secret, True
        uow.commit()
    form = client.get("/pages/sign-in")
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    fields = {"email": person.email, "password": PASSWORD, "next": "/pages/"}
    assert client.post("/pages/sign-in", data={**fields, "csrf_token": csrf}).status_code == 401
    assert (
        client.post("/pages/sign-in", data={**fields, "totp_code": pyotp.TOTP(secret).now()}).status_code
        == 403
    )
    ok = client.post(
        "/pages/sign-in",
        data={**fields, "csrf_token": csrf, "totp_code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    home = client.get("/pages/")
    assert home.status_code == 200
    # a form posted without the session's CSRF token is refused
    assert client.post("/pages/sign-out-everywhere").status_code == 403
    token = home.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = client.post("/pages/sign-out-everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/pages/", follow_redirects=False).status_code == 303


def test_every_post_form_of_the_pages_carries_a_csrf_field() -> None:
    import re
    from importlib import resources
    from pathlib import Path

    missing = []
    root = Path(str(resources.files("comptoir")))
    for template in sorted(root.glob("*/templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for form in re.finditer(r"<form\b[^>]*method=\"post\"[^>]*>", text, flags=re.S):
            if "csrf_field()" not in text[form.end() : form.end() + 40]:
                missing.append(str(template))
    assert missing == []


def test_a_session_is_checked_by_one_hot_read_on_either_path(db) -> None:  # type: ignore[no-untyped-def]
    """The token check reads the session raw (SQLite's text times and JSON, the drivers' own types on
    PostgreSQL): live sessions give the person, their shops and name; expired, ended, forged or
    malformed ones are refused, from a thread and from ``async`` code alike."""
    import asyncio

    from comptoir.core.errors import Unauthorized
    from tests.support.staff import open_session

    person = make_person(db, "seller", ["st_lyon", "st_nice"])
    token = open_session(db, person, "st_lyon").token
    actor = staff.actor_for(db, token, request_id="r1")
    found = asyncio.run(staff.signed_in(db, token, request_id="r1"))
    assert found.actor == actor
    assert actor.staff_id == person.id and actor.role == "seller" and actor.kind == "staff"
    assert actor.shops == frozenset({"st_lyon", "st_nice"}) and actor.channel == "store:st_lyon"
    assert found.name == "Test seller"
    assert staff.actor_for(db, open_session(db, make_person(db, "admin")).token).shops is None

    def refused(candidate: str) -> bool:
        for check in (
            lambda: staff.actor_for(db, candidate),
            lambda: asyncio.run(staff.signed_in(db, candidate)),
        ):
            with pytest.raises(Unauthorized):
                check()
        return True

    session_id, secret = token[len(staff.SESSION_PREFIX) :].split(".", 1)
    assert refused(f"{staff.SESSION_PREFIX}{session_id}.{'x' * len(secret)}")  # forged secret
    assert refused("cps_not a token")
    assert refused(f"{staff.SESSION_PREFIX}sss_unknown0000.{secret}")
    later = clock.now() + timedelta(hours=staff.SESSION_HOURS, minutes=1)
    clock.set_clock(lambda: later)
    try:
        assert refused(token)  # expired
    finally:
        clock.set_clock(None)
    assert staff.actor_for(db, token).staff_id == person.id  # and live again now
    with UnitOfWork(db) as uow:
        staff.end_session(uow, person.id, session_id)
        uow.commit()
    assert refused(token)
