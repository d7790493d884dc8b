"""The loyalty API end to end: programme rules, accounts, history, redemption, adjustments, access."""

from __future__ import annotations

import pytest

from comptoir.core import tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from tests.conftest import make_key

pytestmark = pytest.mark.usefixtures("programme")


def customer_token(settings, customer_id: str) -> str:  # type: ignore[no-untyped-def]
    return tokens.sign(settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id}, 3600)


def test_programme_reads_and_changes_with_if_match(client, admin_headers) -> None:  # type: ignore[no-untyped-def]
    got = client.get("/v1/loyalty/programme", headers=admin_headers)
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    body = got.json()
    assert (body["name"], body["point_value"], body["expiry_months"]) == ("Carte Comptoir", "0.02", 24)
    assert [t["name"] for t in body["tiers"]] == ["Essentiel", "Privilège", "Prestige"]
    rules = {k: v for k, v in body.items() if k not in ("version", "updated_at")}
    changed = client.put(
        "/v1/loyalty/programme",
        json={**rules, "points_per_unit": "2"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
    assert changed.json()["points_per_unit"] == "2"
    stale = client.put("/v1/loyalty/programme", json=rules, headers={**admin_headers, "If-Match": '"1"'})
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"tiers": [{"code": "gold", "name": "Gold", "threshold": 100}]}, "#/tiers"),
        ({"currency": "XYZ"}, "#/currency"),
        ({"point_value": "0"}, "#/point_value"),
        ({"rewards": [{"code": "bon", "label": "Bon", "points": -1, "amount": "10"}]}, "#/rewards/0/points"),
    ],
)
def test_bad_rules_name_the_field_and_change_nothing(client, admin_headers, change, pointer) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/v1/loyalty/programme", headers=admin_headers).json()
    rules = {k: v for k, v in body.items() if k not in ("version", "updated_at")}
    refused = client.put("/v1/loyalty/programme", json={**rules, **change}, headers=admin_headers)
    assert refused.status_code == 422
    assert pointer in [e["pointer"] for e in refused.json()["errors"]]
    assert client.get("/v1/loyalty/programme", headers=admin_headers).headers["etag"] == '"1"'


def test_account_redeem_and_history(client, db, pay) -> None:  # type: ignore[no-untyped-def]
    # given a store key and 300 points from an order paid on the web
    pay("ord_1", "cus_a", "300")
    store = {
        "Authorization": f"Bearer {make_key(db, ['loyalty:read', 'loyalty:write'], 'store:st_paris_rivoli')}"
    }
    account = client.get("/v1/loyalty/accounts/cus_a", headers=store).json()
    assert (account["balance"], account["value"], account["tier"]) == (300, "6.00", "essentiel")
    # when the store spends 250 points, then tries to spend 100 more
    spent = client.post(
        "/v1/loyalty/accounts/cus_a/redemptions", json={"points": 250, "reference": "till-42"}, headers=store
    )
    refused = client.post(
        "/v1/loyalty/accounts/cus_a/redemptions", json={"points": 100, "reference": "till-43"}, headers=store
    )
    # then the first is recorded on the store's channel, the second is a 409 problem
    assert spent.status_code == 201
    assert (spent.json()["points"], spent.json()["balance_after"], spent.json()["channel"]) == (
        -250,
        50,
        "store:st_paris_rivoli",
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:comptoir:problem:insufficient-points"
    assert (refused.json()["balance"], refused.json()["requested"]) == (50, 100)
    page = client.get("/v1/loyalty/accounts/cus_a/history", params={"limit": 1}, headers=store).json()
    assert [e["kind"] for e in page["items"]] == ["redeem"]
    rest = client.get(
        "/v1/loyalty/accounts/cus_a/history", params={"cursor": page["next_cursor"]}, headers=store
    ).json()
    assert [e["kind"] for e in rest["items"]] == ["earn"] and rest["next_cursor"] is None


def test_a_customer_reaches_only_their_own_points(client, db, settings, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "300")
    web_key = make_key(db, ["loyalty:read", "loyalty:write"], "web")
    bare = {"Authorization": f"Bearer {web_key}"}
    as_a = {**bare, "X-Customer-Token": customer_token(settings, "cus_a")}
    as_b = {**bare, "X-Customer-Token": customer_token(settings, "cus_b")}
    assert client.get("/v1/loyalty/accounts/cus_a", headers=as_a).json()["balance"] == 300
    assert client.get("/v1/loyalty/accounts/cus_a", headers=as_b).status_code == 403
    assert client.get("/v1/loyalty/accounts/cus_a", headers=bare).status_code == 401
    stolen = client.post(
        "/v1/loyalty/accounts/cus_a/redemptions", json={"points": 100, "reference": "x"}, headers=as_b
    )
    assert stolen.status_code == 403
    # a customer cannot give themselves points
    gift = client.post(
        "/v1/loyalty/accounts/cus_a/adjustments", json={"points": 1000, "reason": "because"}, headers=as_a
    )
    assert gift.status_code == 403 and gift.json()["type"] == "urn:comptoir:problem:wrong-principal"


def test_staff_adjust_with_a_reason(client, db, pay) -> None:  # type: ignore[no-untyped-def]
    pay("ord_1", "cus_a", "10")
    staff = {"Authorization": f"Bearer {make_key(db, ['loyalty:write'], 'call-centre')}"}
    missing_reason = client.post(
        "/v1/loyalty/accounts/cus_a/adjustments", json={"points": 200, "reason": ""}, headers=staff
    )
    assert missing_reason.status_code == 422
    assert missing_reason.json()["errors"][0]["pointer"] == "#/reason"
    added = client.post(
        "/v1/loyalty/accounts/cus_a/adjustments",
        json={"points": 200, "reason": "Colis perdu", "reference": "ticket-991"},
        headers=staff,
    )
    assert added.status_code == 201
    assert (added.json()["points"], added.json()["balance_after"], added.json()["reason"]) == (
        200,
        210,
        "Colis perdu",
    )
    too_much = client.post(
        "/v1/loyalty/accounts/cus_a/adjustments", json={"points": -500, "reason": "erreur"}, headers=staff
    )
    assert too_much.status_code == 409


def test_scopes_are_enforced(client, db) -> None:  # type: ignore[no-untyped-def]
    reader = {"Authorization": f"Bearer {make_key(db, ['loyalty:read'])}"}
    assert client.get("/v1/loyalty/rewards", headers=reader).json()[0]["code"] == "bon-10"
    denied = client.post(
        "/v1/loyalty/accounts/cus_a/redemptions", json={"points": 100, "reference": "x"}, headers=reader
    )
    assert denied.status_code == 403
    assert client.get("/v1/loyalty/accounts/cus_a").status_code == 401


def test_exchanging_points_for_a_voucher_issues_a_personal_coupon_once(client, db, settings, pay) -> None:  # type: ignore[no-untyped-def]
    # given a signed-in customer with 600 points on the app
    pay("ord_1", "cus_a", "600")
    app = {
        "Authorization": f"Bearer {make_key(db, ['loyalty:read', 'loyalty:write'], 'app')}",
        "X-Customer-Token": customer_token(settings, "cus_a"),
    }
    # when they exchange 500 points for the 10 € voucher (and the app retries the request)
    body = {"reward": "bon-10", "reference": "app-7f3a"}
    first = client.post("/v1/loyalty/accounts/cus_a/rewards", json=body, headers=app)
    again = client.post("/v1/loyalty/accounts/cus_a/rewards", json=body, headers=app)
    # then one redemption, one coupon of 10 € valid 90 days, 100 points left
    assert first.status_code == 201, first.json()
    out = first.json()
    assert (out["entry"]["points"], out["entry"]["balance_after"], out["reward"]["amount"]) == (
        -500,
        100,
        "10",
    )
    assert out["coupon_code"]
    assert again.json()["coupon_code"] == out["coupon_code"]
    assert again.json()["entry"]["id"] == out["entry"]["id"]
    assert client.get("/v1/loyalty/accounts/cus_a", headers=app).json()["balance"] == 100
    # and a second voucher is refused: 100 points are not enough
    refused = client.post(
        "/v1/loyalty/accounts/cus_a/rewards", json={"reward": "bon-10", "reference": "app-8"}, headers=app
    )
    assert refused.status_code == 409
    unknown = client.post(
        "/v1/loyalty/accounts/cus_a/rewards", json={"reward": "bon-99", "reference": "app-9"}, headers=app
    )
    assert unknown.status_code == 404
