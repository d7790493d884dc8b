"""The retailer's pressure rules through the API: the built-in ones until edited, a replacement checked
(422 naming the field when quiet hours leave no time at all), and the sender applying the new ones."""

from __future__ import annotations

from typing import Any

from comptoir.core.uow import UnitOfWork
from comptoir.engagement import pressure
from tests.conftest import make_key


def test_the_built_in_rules_apply_until_the_retailer_edits_them(client: Any, db: Any) -> None:
    admin = {"Authorization": f"Bearer {make_key(db, ['*'])}"}
    # Given a new installation, the built-in rules: 2 a day, 4 a week, 10 a month; quiet SMS and push
    built_in = client.get("/v1/engagement/pressure", headers=admin).json()
    assert built_in["built_in"] is True and built_in["version"] == 0
    assert [(c["limit"], c["period"]) for c in built_in["caps"]] == [(2, "day"), (4, "week"), (10, "month")]
    # When the retailer allows one marketing e-mail a week and keeps push quiet from 22:00
    rules = {
        "caps": [{"purpose": "marketing", "limit": 1, "period": "week", "channel": "email"}],
        "quiet_hours": [{"channel": "push", "start": "22:00", "end": "07:30"}],
        "french_sms_rules": True,
    }
    saved = client.put("/v1/engagement/pressure", json=rules, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["built_in"] is False
    # Then the sender's next run reads them
    with UnitOfWork(db, read_only=True) as uow:
        policy = pressure.policy(uow)
    assert [c.code for c in policy.caps] == ["cap:marketing:email:week"]
    assert [(q.channel, q.start.isoformat(), q.end.isoformat()) for q in policy.quiet_hours] == [
        ("push", "22:00:00", "07:30:00")
    ]


def test_rules_that_cannot_hold_are_refused_naming_the_field(client: Any, db: Any) -> None:
    admin = {"Authorization": f"Bearer {make_key(db, ['*'])}"}
    never = {"caps": [], "quiet_hours": [{"channel": "push", "start": "08:00", "end": "08:00"}]}
    answer = client.put("/v1/engagement/pressure", json=never, headers=admin)
    assert answer.status_code == 422
    assert "quiet_hours/0/end" in answer.text
    # a whole day quiet (00:00 to 23:59 and 23:59 to 00:00) leaves commercial SMS no time at all
    closed = {
        "caps": [],
        "quiet_hours": [
            {"channel": "push", "start": "00:00", "end": "23:59"},
            {"channel": "push", "start": "23:59", "end": "00:00"},
        ],
    }
    answer = client.put("/v1/engagement/pressure", json=closed, headers=admin)
    assert answer.status_code == 422 and "no time at all" in answer.text
    bad = {"caps": [{"limit": 0, "period": "week"}], "quiet_hours": []}
    answer = client.put("/v1/engagement/pressure", json=bad, headers=admin)
    assert answer.status_code == 422 and "caps" in answer.text
    # nothing was saved
    assert client.get("/v1/engagement/pressure", headers=admin).json()["built_in"] is True


def test_a_seller_reads_the_rules_but_only_the_retailer_changes_them(client: Any, db: Any) -> None:
    seller_key = {"Authorization": f"Bearer {make_key(db, ['engagement:read'])}"}
    assert client.get("/v1/engagement/pressure", headers=seller_key).status_code == 200
    rules = {"caps": [], "quiet_hours": []}
    assert client.put("/v1/engagement/pressure", json=rules, headers=seller_key).status_code == 403
