"""Talk now: the router offers a waiting customer to one qualified, available advisor at a time with a
timed claim; the queue is served oldest first; a lapsed or declined offer goes to the next advisor; an
advisor whose heartbeats stop is offline; outside the live hours or with nobody on duty the customer is
offered the next live slots or leaves a message."""

from __future__ import annotations

from typing import Any

from comptoir.core.uow import UnitOfWork
from comptoir.live import service
from comptoir.live.models import Presence
from tests.live.conftest import Clock, Studio, ask, available, offers, ticket


def state(client: Any, studio: Studio, request: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/v1/live/requests/{request['id']}", headers={**studio.shopper, **ticket(request)})
    assert response.status_code == 200, response.text
    return dict(response.json())


def route(db: Any) -> None:
    with UnitOfWork(db) as uow:
        service.route(uow)
        uow.commit()


def test_a_customer_is_offered_to_the_advisor_idle_the_longest(
    client, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "bruno")
    moving_clock.advance(10)
    available(client, studio, "anne")
    request = ask(client, studio, language="fr")
    assert request["status"] == "offered" and request["ticket"]  # routed at once
    assert offers(client, studio, "bruno") == [request["id"]]  # available ten seconds longer
    assert offers(client, studio, "anne") == []
    assert state(client, studio, request)["status"] == "offered"


def test_only_the_live_service_advisors_who_speak_the_language_are_offered(client, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    refused = client.put(
        "/v1/live/presence/me", json={"status": "available"}, headers=studio.staff("stylist")
    )
    assert refused.status_code == 403 and refused.json()["type"].endswith("not-live-advisor")
    available(client, studio, "bruno")
    english = ask(client, studio, language="en")
    assert offers(client, studio, "bruno") == []  # Bruno speaks French only
    assert state(client, studio, english)["status"] == "waiting"
    available(client, studio, "anne")
    assert offers(client, studio, "anne") == [english["id"]]


def test_a_lapsed_claim_goes_to_the_next_advisor_and_sets_the_first_away(
    client, db, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    moving_clock.advance(5)
    available(client, studio, "bruno")
    request = ask(client, studio, language="fr")
    assert offers(client, studio, "anne") == [request["id"]]
    moving_clock.advance(19)
    route(db)
    assert offers(client, studio, "anne") == [request["id"]]  # within the claim's 20 seconds
    moving_clock.advance(2)
    route(db)
    assert offers(client, studio, "anne") == []
    assert offers(client, studio, "bruno") == [request["id"]]
    with UnitOfWork(db) as uow:
        assert uow.session.get(Presence, studio.anne).status == "away"  # type: ignore[union-attr]
    late = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne"))
    assert late.status_code == 409 and late.json()["type"].endswith("offer-gone")


def test_the_queue_is_served_oldest_first_with_positions_and_waits(
    client, db, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "bruno")
    first = ask(client, studio, language="fr")
    moving_clock.advance(1)
    second = ask(client, studio, language="fr")
    moving_clock.advance(1)
    third = ask(client, studio, language="fr")
    assert offers(client, studio, "bruno") == [first["id"]]
    # Bruno is the one French advisor on duty who is free; Anne is on duty too (not available yet)
    positions = [state(client, studio, r)["position"] for r in (first, second, third)]
    assert positions == [1, 2, 3]
    waits = [state(client, studio, r)["wait_minutes"] for r in (first, second, third)]
    assert waits[0] == 0 and waits[0] <= waits[1] <= waits[2]
    decline = client.post(f"/v1/live/requests/{first['id']}/decline", headers=studio.staff("bruno"))
    assert decline.status_code == 204
    # Bruno let the first go: he is offered the next one, the first waits for someone else
    assert offers(client, studio, "bruno") == [second["id"]]
    available(client, studio, "anne")
    assert offers(client, studio, "anne") == [first["id"]]


def test_accepting_starts_a_session_and_makes_the_advisor_busy(client, db, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    request = ask(client, studio, language="en", name="Jane")
    other = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("bruno"))
    assert other.status_code == 409
    taken = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne"))
    assert taken.status_code == 201, taken.text
    session = taken.json()
    assert session["advisor_id"] == studio.anne and session["shop_id"] == "st_paris_rivoli"
    assert session["media"]["kind"] == "p2p"
    seen = state(client, studio, request)
    assert seen["status"] == "accepted" and seen["session_id"] == session["id"]
    with UnitOfWork(db) as uow:
        assert uow.session.get(Presence, studio.anne).status == "busy"  # type: ignore[union-attr]
    again = ask(client, studio, language="en")
    assert offers(client, studio, "anne") == []  # busy: not offered
    assert state(client, studio, again)["status"] == "waiting"


def test_an_advisor_whose_heartbeats_stop_is_offline_and_their_offer_moves_on(
    client, db, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    moving_clock.advance(1)
    available(client, studio, "bruno")
    request = ask(client, studio, language="fr")
    assert offers(client, studio, "anne") == [request["id"]]
    moving_clock.advance(12)
    with UnitOfWork(db) as uow:  # Bruno's console keeps beating; Anne's went quiet
        service.heartbeat(uow, studio.bruno, "conn-bruno")
        uow.commit()
    moving_clock.advance(19)  # 31 s after Anne's last sign of life: past the 30 s window
    route(db)
    with UnitOfWork(db) as uow:
        assert uow.session.get(Presence, studio.anne).status == "offline"  # type: ignore[union-attr]
    assert offers(client, studio, "bruno") == [request["id"]]


def test_outside_the_live_hours_the_customer_is_offered_slots_or_leaves_a_message(
    client, db, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    moving_clock.advance(10 * 3600)  # 21:00 in Paris: the studio closed at 19:00
    request = ask(client, studio, language="fr")
    assert request["status"] == "unanswered"
    assert request["slots"], request  # tomorrow's live slots
    assert request["slots"][0]["date"] == "2027-03-23" and request["slots"][0]["time"] >= "10:00"
    left = client.post(
        f"/v1/live/requests/{request['id']}/message",
        json={"message": "Rappelez-moi pour la robe en lin", "contact": "jeanne@exemple.fr"},
        headers={**studio.shopper, **ticket(request)},
    )
    assert left.status_code == 204
    assert state(client, studio, request)["status"] == "message"
    with db.engine.connect() as conn:
        types = [t for (t,) in conn.exec_driver_sql("select type from core_outbox_events order by seq")]
    assert types.count("live.request_unanswered") == 2  # closed, then the message left


def test_nobody_free_within_the_waiting_time_ends_the_request_with_slots(
    client, db, studio: Studio, moving_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    request = ask(client, studio, language="fr")  # on duty, but nobody available
    assert request["status"] == "waiting" and request["advisors_on_duty"] == 2
    moving_clock.advance(31 * 60)
    route(db)
    seen = state(client, studio, request)
    assert seen["status"] == "unanswered" and seen["slots"]


def test_a_ticket_reaches_its_own_request_only(client, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = ask(client, studio), ask(client, studio)
    peek = client.get(f"/v1/live/requests/{theirs['id']}", headers={**studio.shopper, **ticket(mine)})
    assert peek.status_code == 404
    bare = client.get(f"/v1/live/requests/{mine['id']}", headers=studio.shopper)
    assert bare.status_code == 401
    forged = client.get(
        f"/v1/live/requests/{mine['id']}",
        headers={**studio.shopper, "X-Live-Ticket": mine["ticket"][:-2] + "xx"},
    )
    assert forged.status_code == 401
