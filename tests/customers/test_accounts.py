"""Customer accounts: sign-up verified by e-mail, sign-in, one-time links, reset, throttling, sessions."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from typing import Any

import pytest

from comptoir.core.settings import Settings, get_settings
from comptoir.customers.accounts import PASSWORD_TO_CONFIRM, SIGN_UP_ANSWER, WRONG_CREDENTIALS
from comptoir.customers.routes import INGESTED
from tests.conftest import make_key
from tests.customers.conftest import JEAN, MARIE
from tests.customers.test_ingestion import events
from tests.customers.test_routes import bearer, ingest

PASSWORD = "une-phrase-de-passe-longue"


@pytest.fixture
def web(db: Any) -> dict[str, str]:
    return bearer(make_key(db, ["customers:read", "customers:write"], channel="web"))


@pytest.fixture
def mailbox(settings: Settings) -> Path:
    """The folder the app's dispatcher writes its e-mails to (the test settings' file transport)."""
    return Path(settings.mail_url[len("file://") :])


SIGN_UP = {
    "email": "Marie.Curie@Orange.fr",
    "password": PASSWORD,
    "given_name": "Marie",
    "family_name": "Curie",
}


def sign_up(client: Any, web: dict[str, str], **extra: Any) -> dict[str, Any]:
    """Sign up: the same 202 whether or not the address has an account."""
    response = client.post("/v1/customers/accounts", json={**SIGN_UP, **extra}, headers=web)
    assert response.status_code == 202, response.text
    return response.json()


def sign_in(client: Any, web: dict[str, str], password: str = PASSWORD) -> Any:
    return client.post(
        "/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": password}, headers=web
    )


def signed_up(
    client: Any, web: dict[str, str], dispatcher: Any, mailbox: Path, **extra: Any
) -> dict[str, Any]:
    """Sign up and follow the e-mailed link (which proves the address and signs in): the session."""
    sign_up(client, web, **extra)
    dispatcher.drain()
    _, url = link_token(mailbox)
    body = {"token": url.split("token=")[1], "password": extra.get("password", PASSWORD)}
    session = client.post("/v1/customers/sessions/link", json=body, headers=web)
    assert session.status_code == 200, session.text
    return dict(session.json())


def test_sign_up_joins_the_customer_the_shops_know_once_the_address_is_verified(
    client, db, admin_headers, web, dispatcher, mailbox
) -> None:
    known = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    session = signed_up(
        client, web, dispatcher, mailbox, phone="07 98 76 54 32", anonymous_token="cart_anon_1"
    )
    assert session["customer_id"] == known
    me = client.get("/v1/customers/me", headers={**web, "X-Customer-Token": session["token"]})
    assert me.status_code == 200 and me.json()["id"] == known
    (merge,) = client.get(f"/v1/customers/{known}/merges", headers=admin_headers).json()
    assert merge["reason"] == "verified" and merge["survivor_id"] == known
    assert [p["method"] for t, p in events(db) if t == "customers.customer_signed_in"] == ["link"]


def test_signing_up_with_a_shop_customers_address_takes_nothing_over(
    client, db, admin_headers, web, dispatcher, mailbox
) -> None:
    """Given a customer the shops know, when someone signs up with her e-mail and name and signs in
    before the address is verified, then they are a separate customer who reaches none of her data."""
    known = ingest(client, admin_headers, "pos", **MARIE, loyalty_card="29 0000 4242")["customer_id"]
    sign_up(client, web)
    attacker = sign_in(client, web)
    assert attacker.status_code == 200
    own = attacker.json()["customer_id"]
    assert own != known
    mine = {**web, "X-Customer-Token": attacker.json()["token"]}
    me = client.get("/v1/customers/me", headers=mine).json()
    assert (me["email"], me["phone"], me["loyalty_card"]) == ("marie.curie@orange.fr", None, None)
    for path in (
        f"/v1/customers/{known}",
        f"/v1/customers/{known}/export",
        f"/v1/customers/{known}/consents",
    ):
        assert client.get(path, headers=mine).status_code == 403
    assert client.get(f"/v1/customers/{known}/merges", headers=admin_headers).json() == []
    # The link went to the address; its owner, not knowing the password chosen, cannot confirm it
    # by an unwary click (the sign-up stays separate and the link stays usable)...
    dispatcher.drain()
    subject, url = link_token(mailbox)
    assert subject == "Confirmez votre adresse e-mail"
    token = url.split("token=")[1]
    for password in (None, "pas-le-mot-de-passe"):
        refused = client.post(
            "/v1/customers/sessions/link", json={"token": token, "password": password}, headers=web
        )
        assert refused.status_code == 401 and refused.json()["detail"] == PASSWORD_TO_CONFIRM
    assert client.get(f"/v1/customers/{known}/merges", headers=admin_headers).json() == []
    # ...and when she resets the password from her mailbox, the account becomes hers: it joins her
    # record, and whoever signed up can no longer sign in, nor use the token taken before.
    client.post("/v1/customers/password-resets", json={"email": "marie.curie@orange.fr"}, headers=web)
    dispatcher.drain()
    _, reset_url = link_token(mailbox)
    reset = client.post(
        "/v1/customers/password-resets/confirm",
        json={"token": reset_url.split("token=")[1], "password": "son-propre-mot-de-passe"},
        headers=web,
    )
    assert reset.status_code == 200 and reset.json()["customer_id"] == known
    assert client.get("/v1/customers/me", headers=mine).status_code == 401
    assert sign_in(client, web).status_code == 401
    (merge,) = client.get(f"/v1/customers/{known}/merges", headers=admin_headers).json()
    assert merge["reason"] == "verified"


def test_a_sign_in_link_to_an_unconfirmed_sign_up_drops_the_password_it_chose(
    client, admin_headers, web, dispatcher, mailbox
) -> None:
    """Given someone signed up with a shop customer's address and a password of theirs, when she asks
    for a sign-in link and follows it, then she is in her own record and that password is dead."""
    known = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    sign_up(client, web)
    dispatcher.drain()
    link_token(mailbox)  # the sign-up's confirmation, never followed
    client.post("/v1/customers/sign-in-links", json={"email": "marie.curie@orange.fr"}, headers=web)
    dispatcher.drain()
    _, url = link_token(mailbox)
    signed_in = client.post(
        "/v1/customers/sessions/link", json={"token": url.split("token=")[1]}, headers=web
    )
    assert signed_in.status_code == 200 and signed_in.json()["customer_id"] == known
    assert sign_in(client, web).status_code == 401


def test_confirming_a_sign_up_with_its_password_ends_the_sessions_taken_before(
    client, admin_headers, web, dispatcher, mailbox
) -> None:
    known = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    sign_up(client, web)
    early = {**web, "X-Customer-Token": sign_in(client, web).json()["token"]}
    dispatcher.drain()
    _, url = link_token(mailbox)
    body = {"token": url.split("token=")[1], "password": PASSWORD}
    confirmed = client.post("/v1/customers/sessions/link", json=body, headers=web)
    assert confirmed.status_code == 200 and confirmed.json()["customer_id"] == known
    assert client.get("/v1/customers/me", headers=early).status_code == 401
    fresh = {**web, "X-Customer-Token": confirmed.json()["token"]}
    assert client.get("/v1/customers/me", headers=fresh).json()["id"] == known


def test_ingest_through_a_customer_facing_key_reveals_no_id_and_joins_nobody(
    client, db, admin_headers, web
) -> None:
    known = ingest(client, admin_headers, "pos", **MARIE)["customer_id"]
    for source in ("web", "pos"):  # whatever source it claims
        response = client.post("/v1/customers/ingest", json={"source": source, **MARIE}, headers=web)
        assert response.status_code == 202
        assert response.json() == {"status": "accepted", "detail": INGESTED}
        assert known not in response.text
    batch = client.post("/v1/customers/ingest/batch", json={"source": "app", "records": [MARIE]}, headers=web)
    assert batch.status_code == 403 and known not in batch.text  # bulk loads are for systems and staff
    listed = client.get("/v1/customers", headers=admin_headers).json()["items"]
    assert len(listed) == 3  # the shop's, and the two self-asserted records kept apart
    assert client.get(f"/v1/customers/{known}/merges", headers=admin_headers).json() == []


def test_sign_up_answers_alike_whether_or_not_the_address_has_an_account(
    client, web, dispatcher, mailbox
) -> None:
    first = client.post("/v1/customers/accounts", json=SIGN_UP, headers=web)
    dispatcher.drain()
    assert link_token(mailbox)[0] == "Confirmez votre adresse e-mail"
    again = client.post(
        "/v1/customers/accounts",
        json={**SIGN_UP, "email": "marie.curie@orange.fr", "given_name": "M", "family_name": "C"},
        headers=web,
    )
    assert (
        (again.status_code, again.json())
        == (first.status_code, first.json())
        == (
            202,
            {"status": "accepted", "detail": SIGN_UP_ANSWER},
        )
    )
    dispatcher.drain()
    assert link_token(mailbox)[0] == "Vous avez déjà un compte"


def test_sign_up_refuses_invalid_input_naming_the_field(client, web) -> None:
    for body, pointer in (
        ({"password": "short"}, "#/password"),
        ({"email": "marie@"}, "#/email"),
        ({"phone": "12"}, "#/phone"),
        ({"return_url": "https://evil.example/x"}, "#/return_url"),
    ):
        response = client.post("/v1/customers/accounts", json={**SIGN_UP, **body}, headers=web)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == pointer


def test_a_customer_token_reaches_only_its_own_data(client, admin_headers, web, dispatcher, mailbox) -> None:
    other = ingest(client, admin_headers, "pos", **JEAN)["customer_id"]
    session = signed_up(client, web, dispatcher, mailbox)
    mine = {**web, "X-Customer-Token": session["token"]}
    own = session["customer_id"]
    assert client.get(f"/v1/customers/{own}", headers=mine).status_code == 200
    assert client.get(f"/v1/customers/{own}/export", headers=mine).status_code == 200
    assert client.get(f"/v1/customers/{own}/consents", headers=mine).status_code == 200
    for path in (
        f"/v1/customers/{other}",
        f"/v1/customers/{other}/export",
        f"/v1/customers/{other}/consents",
    ):
        response = client.get(path, headers=mine)
        assert response.status_code == 403 and response.json()["type"].endswith("not-your-customer-data")
    assert client.get("/v1/customers/search", params={"q": "dupont"}, headers=mine).status_code == 403
    assert (
        client.post("/v1/customers/ingest", json={"source": "web", **JEAN}, headers=mine).status_code == 403
    )
    granted = client.post(
        f"/v1/customers/{own}/consents",
        json={"statements": [{"purpose": "marketing", "channel": "email", "granted": True}]},
        headers=mine,
    )
    assert granted.status_code == 201 and granted.json()["history"][0]["source"] == "web"
    forged = client.get(f"/v1/customers/{own}", headers={**web, "X-Customer-Token": session["token"] + "x"})
    assert forged.status_code == 401


def test_sign_in_failures_and_lockout_answer_alike_for_known_and_unknown_addresses(client, web) -> None:
    sign_up(client, web)
    assert sign_in(client, web).status_code == 200
    known = [sign_in(client, web, "pas-le-bon-mot-de-passe") for _ in range(6)]
    unknown = [
        client.post(
            "/v1/customers/sessions", json={"email": "nobody@example.org", "password": "x" * 12}, headers=web
        )
        for _ in range(6)
    ]
    assert (
        [r.status_code for r in known] == [r.status_code for r in unknown] == [401, 401, 401, 401, 401, 429]
    )
    assert known[0].json() == unknown[0].json() and known[0].json()["detail"] == WRONG_CREDENTIALS
    assert {k: v for k, v in known[5].json().items() if k != "detail"} == {
        k: v for k, v in unknown[5].json().items() if k != "detail"
    }
    locked = sign_in(client, web)  # the right password, but the address is locked
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1


def test_a_success_gives_the_attempt_back(client, web) -> None:
    sign_up(client, web)
    for _ in range(4):
        assert sign_in(client, web, "pas-le-bon-mot-de-passe").status_code == 401
    assert sign_in(client, web).status_code == 200
    assert [sign_in(client, web, "pas-le-bon-mot-de-passe").status_code for _ in range(5)] == [401] * 5
    assert sign_in(client, web).status_code == 429


def test_one_client_address_is_limited_across_addresses(client, web) -> None:
    """Given one client trying many addresses, after 30 attempts it is refused whatever the address."""
    statuses = [
        client.post(
            "/v1/customers/sessions", json={"email": f"p{i}@example.org", "password": "x" * 12}, headers=web
        ).status_code
        for i in range(31)
    ]
    assert statuses == [401] * 30 + [429]


def test_password_reset_requests_answer_alike(client, web) -> None:
    sign_up(client, web)
    known = client.post("/v1/customers/password-resets", json={"email": "marie.curie@orange.fr"}, headers=web)
    unknown = client.post("/v1/customers/password-resets", json={"email": "nobody@example.org"}, headers=web)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202


def test_sign_out_everywhere_ends_every_token(client, web, dispatcher, mailbox) -> None:
    signed_up(client, web, dispatcher, mailbox)
    tokens = [sign_in(client, web).json()["token"] for _ in range(2)]
    for token in tokens:
        assert client.get("/v1/customers/me", headers={**web, "X-Customer-Token": token}).status_code == 200
    out = client.delete("/v1/customers/sessions", headers={**web, "X-Customer-Token": tokens[0]})
    assert out.status_code == 204
    for token in tokens:
        gone = client.get("/v1/customers/me", headers={**web, "X-Customer-Token": token})
        assert gone.status_code == 401
    fresh = sign_in(client, web).json()["token"]
    assert client.get("/v1/customers/me", headers={**web, "X-Customer-Token": fresh}).status_code == 200
    assert client.delete("/v1/customers/sessions", headers=web).status_code == 401


def test_a_staff_block_ends_every_session_and_refuses_sign_in(
    client, admin_headers, web, dispatcher, mailbox
) -> None:
    session = signed_up(client, web, dispatcher, mailbox)
    mine = {**web, "X-Customer-Token": session["token"]}
    blocked = client.post(f"/v1/customers/{session['customer_id']}/block", headers=admin_headers)
    assert blocked.status_code == 200 and blocked.json()["accounts_changed"] == 1
    assert client.get("/v1/customers/me", headers=mine).status_code == 401
    refused = sign_in(client, web)
    assert refused.status_code == 401 and refused.json()["detail"] == WRONG_CREDENTIALS
    assert client.post(f"/v1/customers/{session['customer_id']}/block", headers=web).status_code == 403
    client.post(f"/v1/customers/{session['customer_id']}/unblock", headers=admin_headers)
    assert sign_in(client, web).status_code == 200


def test_erasure_ends_the_erased_customers_sessions(client, web, dispatcher, mailbox) -> None:
    session = signed_up(client, web, dispatcher, mailbox)
    mine = {**web, "X-Customer-Token": session["token"]}
    assert client.delete(f"/v1/customers/{session['customer_id']}", headers=mine).status_code == 200
    assert client.get("/v1/customers/me", headers=mine).status_code == 401


def link_token(mailbox: Path) -> tuple[str, str]:
    (message_file,) = sorted(mailbox.glob("*.eml"))
    message = email.message_from_bytes(message_file.read_bytes(), policy=email.policy.default)
    text = (
        next(p for p in message.walk() if p.get_content_type() == "text/plain")
        .get_payload(decode=True)
        .decode()
    )
    url = re.search(r"https?://\S+", text)
    assert url is not None
    message_file.unlink()
    return str(message["Subject"]), url.group(0)


def test_one_time_sign_in_link_by_email(client, db, web, dispatcher, mailbox) -> None:
    session = signed_up(client, web, dispatcher, mailbox, password=None, locale="fr")
    response = client.post(
        "/v1/customers/sign-in-links",
        json={"email": "marie.curie@orange.fr", "return_url": "http://127.0.0.1:8000/connexion"},
        headers=web,
    )
    assert response.status_code == 202
    dispatcher.drain()
    subject, url = link_token(mailbox)
    assert subject == "Votre lien de connexion"
    assert url.startswith("http://127.0.0.1:8000/connexion?token=")
    token = url.split("token=")[1]
    signed_in = client.post(
        "/v1/customers/sessions/link", json={"token": token, "anonymous_token": "a1"}, headers=web
    )
    assert signed_in.status_code == 200 and signed_in.json()["customer_id"] == session["customer_id"]
    replay = client.post("/v1/customers/sessions/link", json={"token": token}, headers=web)
    assert replay.status_code == 401
    me = client.get("/v1/customers/me", headers={**web, "X-Customer-Token": signed_in.json()["token"]}).json()
    assert me["email"] == "marie.curie@orange.fr"
    nobody = client.post("/v1/customers/sign-in-links", json={"email": "nobody@example.org"}, headers=web)
    assert nobody.status_code == 202
    dispatcher.drain()
    assert list(mailbox.glob("*.eml")) == []
    elsewhere = client.post(
        "/v1/customers/sign-in-links", json={"email": "marie.curie@orange.fr", "return_url": "https://evil.example/x"},
        headers=web,
    )  # fmt: skip
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["pointer"] == "#/return_url"


def test_password_reset_by_email_ends_the_earlier_sessions(client, web, dispatcher, mailbox) -> None:
    sign_up(client, web)
    dispatcher.drain()
    link_token(mailbox)  # the sign-up's link, not followed
    before = sign_in(client, web).json()["token"]
    assert client.post("/v1/customers/password-resets", json={"email": "marie.curie@orange.fr", "locale": "en"},
                       headers=web).status_code == 202  # fmt: skip
    dispatcher.drain()
    subject, url = link_token(mailbox)
    assert subject == "Reset your password"
    token = url.split("token=")[1]
    weak = client.post(
        "/v1/customers/password-resets/confirm", json={"token": token, "password": "x"}, headers=web
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["pointer"] == "#/password"
    new_password = "un-autre-mot-de-passe-solide"
    done = client.post("/v1/customers/password-resets/confirm", json={"token": token, "password": new_password},
                       headers=web)  # fmt: skip
    assert done.status_code == 200
    old = client.post("/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": PASSWORD},
                      headers=web)  # fmt: skip
    assert old.status_code == 401
    new = client.post("/v1/customers/sessions", json={"email": "marie.curie@orange.fr", "password": new_password},
                      headers=web)  # fmt: skip
    assert new.status_code == 200
    assert client.get("/v1/customers/me", headers={**web, "X-Customer-Token": before}).status_code == 401
    after = done.json()["token"]
    assert client.get("/v1/customers/me", headers={**web, "X-Customer-Token": after}).status_code == 200


def test_idle_throttle_counters_are_forgotten_after_a_day(client, db, web) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from comptoir.core import clock
    from comptoir.core.uow import UnitOfWork
    from comptoir.customers.accounts import throttle_keys
    from comptoir.customers.jobs import jobs
    from comptoir.customers.models import SignInThrottle

    def remaining() -> list[str]:
        with UnitOfWork(db, read_only=True) as uow:
            return sorted(uow.session.scalars(select(SignInThrottle.key)))

    def run_job_at(delay: timedelta) -> None:
        at = clock.now() + delay
        clock.set_clock(lambda: at)
        try:
            (job,) = [j for j in jobs(get_settings()) if j.name == "customers.forget_idle_sign_in_throttles"]
            with UnitOfWork(db) as uow:
                job.run(uow)
                uow.commit()
        finally:
            clock.set_clock(None)

    # given a failed attempt on one address, and another address locked (15 minutes) in a loop of 5
    client.post("/v1/customers/sessions", json={"email": "a@example.org", "password": "x" * 12}, headers=web)
    for _ in range(5):
        client.post(
            "/v1/customers/sessions", json={"email": "c@example.org", "password": "x" * 12}, headers=web
        )
    settings = client.app.state.comptoir.settings
    a, c = (throttle_keys(settings, f"{x}@example.org", "testclient")["email"] for x in "ac")
    client_key = throttle_keys(settings, "a@example.org", "testclient")["client"]
    assert remaining() == sorted([a, c, client_key])
    # when the hourly job runs an hour later, nothing is idle for a day yet
    run_job_at(timedelta(hours=1))
    assert remaining() == sorted([a, c, client_key])
    # when it runs a day and a minute later, the idle counters go, the locked one a day after its lock
    run_job_at(timedelta(days=1, minutes=1))
    assert remaining() == [c]
    run_job_at(timedelta(days=1, minutes=16))
    assert remaining() == []
