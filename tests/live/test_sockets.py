"""The consoles' and pages' WebSockets: presence and heartbeats, offers pushed to the advisor, the session
starting on the customer's page, WebRTC signalling carried between the two sides, and refusals that leave
the connection open (a signal for another session) or close it (a bad ticket, no staff session)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from comptoir.core import tokens
from comptoir.live import tickets
from tests.live.conftest import Studio, ask, available


def receive(socket: Any, wanted: str, limit: int = 20) -> dict[str, Any]:
    """The next message of type ``wanted`` (skipping queue and presence updates)."""
    for _ in range(limit):
        message = json.loads(socket.receive_text())
        if message["type"] == wanted:
            return dict(message)
    raise AssertionError(f"no {wanted!r} message")


def send(socket: Any, **message: Any) -> None:
    socket.send_text(json.dumps(message))


def test_an_offer_reaches_the_console_and_the_session_reaches_the_page(client, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['anne']}") as console:
        hello = receive(console, "hello")
        assert hello["heartbeat_seconds"] == 10
        send(console, type="presence", status="available")
        assert receive(console, "presence")["status"] == "available"
        request = ask(client, studio, language="fr", name="Jeanne")
        offer = receive(console, "offer")
        assert offer["request_id"] == request["id"] and offer["visitor_name"] == "Jeanne"
        with client.websocket_connect(f"/v1/live/ws/customer?ticket={request['ticket']}") as page:
            assert receive(page, "state")["status"] == "offered"
            taken = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne"))
            session_id = taken.json()["id"]
            started = receive(page, "session")
            assert started["session_id"] == session_id
            # signalling both ways: the offer to the customer, the answer and a candidate back
            send(
                console, type="signal", session_id=session_id, data={"sdp": {"type": "offer", "sdp": "v=0…"}}
            )
            signal = receive(page, "signal")
            assert signal["from"] == "advisor" and signal["data"]["sdp"]["type"] == "offer"
            send(page, type="signal", session_id=session_id, data={"sdp": {"type": "answer", "sdp": "v=0…"}})
            assert receive(console, "signal")["data"]["sdp"]["type"] == "answer"
            send(
                page,
                type="signal",
                session_id=session_id,
                data={"candidate": {"candidate": "candidate:1 1 udp"}},
            )
            assert receive(console, "signal")["data"]["candidate"]["candidate"].startswith("candidate:")
            # a pushed product and a chat message arrive on the page
            client.post(
                f"/v1/live/sessions/{session_id}/pushes",
                json={"sku": "ROBE-LIN-S-BLEU"},
                headers=studio.staff("anne"),
            )
            assert receive(page, "product")["product"]["sku"] == "ROBE-LIN-S-BLEU"
            # a heartbeat answers the request's state
            send(page, type="heartbeat")
            assert receive(page, "state")["session_id"] == session_id
        send(console, type="heartbeat")
        assert receive(console, "heartbeat")["current"] is True


def test_a_signal_for_another_session_is_refused_and_the_connection_goes_on(
    client, studio: Studio, caplog
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    available(client, studio, "bruno")
    mine, theirs = ask(client, studio, language="fr"), ask(client, studio, language="fr")
    by_request = {}
    for name in ("anne", "bruno"):
        for offer in client.get("/v1/live/offers/me", headers=studio.staff(name)).json():
            by_request[offer["request_id"]] = client.post(
                f"/v1/live/requests/{offer['request_id']}/accept", headers=studio.staff(name)
            ).json()["id"]
    other_session = by_request[theirs["id"]]
    with client.websocket_connect(f"/v1/live/ws/customer?ticket={mine['ticket']}") as page:
        receive(page, "state")
        send(page, type="signal", session_id=other_session, data={"sdp": {"type": "offer", "sdp": "x"}})
        refused = receive(page, "error")
        assert refused["slug"] == "signal-refused"
        assert any(r.getMessage() == "live signal refused" for r in caplog.records)  # and logged
        send(page, type="signal", session_id=by_request[mine["id"]], data={"candidate": {}})
        send(page, type="heartbeat")  # still served
        assert receive(page, "state")["id"] == mine["id"]
        page.send_text("not json")
        assert receive(page, "error")["slug"] == "bad-message"


def test_bad_credentials_close_the_socket(client, studio: Studio, settings) -> None:  # type: ignore[no-untyped-def]
    expired = tokens.sign(settings.secret_key, tickets.PURPOSE, {"req": "lrq_x"}, -10)
    for url in (
        "/v1/live/ws/customer",
        f"/v1/live/ws/customer?ticket={expired}",
        "/v1/live/ws/customer?ticket=abc.def",
        "/v1/live/ws/advisor",
        f"/v1/live/ws/advisor?access_token={studio.key}",  # a publishable key is not an advisor
    ):
        with client.websocket_connect(url) as socket, pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
        assert closed.value.code == 4401, url
    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['stylist']}") as socket:
        receive(socket, "hello")
        send(socket, type="presence", status="available")
        assert receive(socket, "error")["slug"] == "not-live-advisor"


def test_closing_the_console_takes_the_advisor_offline_and_moves_their_offer(client, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['anne']}") as console:
        receive(console, "hello")
        send(console, type="presence", status="available")
        receive(console, "presence")
        request = ask(client, studio, language="fr")
        assert receive(console, "offer")["request_id"] == request["id"]
    available(client, studio, "bruno")
    offers = client.get("/v1/live/offers/me", headers=studio.staff("bruno")).json()
    assert [o["request_id"] for o in offers] == [request["id"]]


def test_the_routing_job_tells_the_console_its_offer_lapsed(client, db, studio: Studio, moving_clock) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.uow import UnitOfWork
    from comptoir.live import jobs

    (route,) = [j for j in jobs.jobs(None) if j.name == "live.route"]  # type: ignore[arg-type]
    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['anne']}") as console:
        receive(console, "hello")
        send(console, type="presence", status="available")
        receive(console, "presence")
        request = ask(client, studio, language="fr")
        assert receive(console, "offer")["request_id"] == request["id"]
        moving_clock.advance(21)
        with UnitOfWork(db) as uow:  # the dispatcher's job, in this process: through the app's hub
            route.run(uow)
            uow.commit()
        lapsed = receive(console, "offer_lapsed")
        assert lapsed["request_id"] == request["id"] and lapsed["status"] == "away"


def test_a_console_that_drops_in_a_call_keeps_the_advisor_busy(client, db, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.uow import UnitOfWork
    from comptoir.live.models import Presence

    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['anne']}") as console:
        receive(console, "hello")
        send(console, type="presence", status="available")
        receive(console, "presence")
        request = ask(client, studio, language="fr")
        receive(console, "offer")
        client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne"))
    with UnitOfWork(db, read_only=True) as uow:  # the call goes on: the console comes back on its own
        assert uow.session.get(Presence, studio.anne).status == "busy"  # type: ignore[union-attr]
    with client.websocket_connect(f"/v1/live/ws/advisor?access_token={studio.tokens['anne']}") as console:
        receive(console, "hello")
        send(console, type="heartbeat")
        assert receive(console, "heartbeat")["current"] is True
