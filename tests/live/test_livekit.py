"""The LiveKit media adapter (``COMPTOIR_LIVE_MEDIA=livekit``), against a fake of LiveKit's server API.

No LiveKit server can be installed on the test machines, so the fake stands in for it: an HTTP server on
loopback answering the Twirp routes ``/twirp/livekit.RoomService/CreateRoom`` and ``DeleteRoom`` as
LiveKit does (protobuf or JSON bodies, errors as Twirp's JSON), and refusing a call whose
``Authorization: Bearer <JWT>`` is not signed with the API secret, issued for the API key, and granted
``roomCreate``. The tests prove that each session gets its room (named after it, two participants at most,
closing itself when empty), that the token each side is handed joins that room only, as that side, for the
ticket's lifetime, that the room is deleted once the session's end is committed, and that a LiveKit server
that does not answer is a 503 the page can retry, not a 500.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from comptoir.live import config, media
from tests.live.conftest import Studio, ask, available, ticket
from tests.support.processes import free_port

api = pytest.importorskip("livekit.api", reason="the livekit extra (livekit-api) is not installed")
jwt = pytest.importorskip("jwt")
json_format = pytest.importorskip("google.protobuf.json_format")

API_KEY = "APIcomptoirtest"
API_SECRET = "livekit-test-secret-0123456789-0123456789"
ROUTE = "/twirp/livekit.RoomService/"


@dataclass
class FakeLiveKit:
    """What the fake server was asked, and how it behaves (``hang``: it never answers)."""

    url: str = ""
    created: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    hang: bool = False


def _authorised(header: str, needed: str) -> str | None:
    """Why the bearer token does not allow a RoomService call, or None: signed with the secret, by the
    key, current, with the ``roomCreate`` grant (as LiveKit checks it for CreateRoom and DeleteRoom)."""
    if not header.startswith("Bearer "):
        return "no bearer token"
    try:
        claims = jwt.decode(header[7:], API_SECRET, algorithms=["HS256"], leeway=60)
    except jwt.InvalidTokenError as exc:
        return f"invalid token: {exc}"
    if claims.get("iss") != API_KEY:
        return "another API key"
    if not claims.get("video", {}).get(needed):
        return f"no {needed} grant"
    return None


def _handler(fake: FakeLiveKit) -> type[BaseHTTPRequestHandler]:
    class Twirp(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, code: str, msg: str) -> None:
            fake.refused.append(msg)
            self._answer(status, json.dumps({"code": code, "msg": msg}).encode(), "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if fake.hang:
                time.sleep(3)
                return
            method = self.path.removeprefix(ROUTE)
            kinds = {
                "CreateRoom": (api.CreateRoomRequest, api.Room),
                "DeleteRoom": (api.DeleteRoomRequest, None),
            }
            if not self.path.startswith(ROUTE) or method not in kinds:
                return self._error(404, "bad_route", f"no route {self.path}")
            why = _authorised(self.headers.get("Authorization", ""), "roomCreate")
            if why is not None:
                return self._error(401, "unauthenticated", why)
            protobuf = self.headers.get("Content-Type", "").startswith("application/protobuf")
            ask, _ = kinds[method]
            request = ask.FromString(body) if protobuf else json_format.Parse(body, ask())
            if method == "CreateRoom":
                fake.created.append(json_format.MessageToDict(request, preserving_proto_field_name=True))
                answer = api.Room(
                    sid=f"RM_{len(fake.created)}",
                    name=request.name,
                    empty_timeout=request.empty_timeout,
                    max_participants=request.max_participants,
                    creation_time=int(time.time()),
                )
            else:
                fake.deleted.append(request.room)
                answer = api.DeleteRoomResponse()
            if protobuf:
                return self._answer(200, answer.SerializeToString(), "application/protobuf")
            return self._answer(200, json_format.MessageToJson(answer).encode(), "application/json")

    return Twirp


@pytest.fixture
def livekit(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLiveKit]:
    """The fake LiveKit on a loopback port, and the live settings pointing at it."""
    fake = FakeLiveKit()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    use_livekit(monkeypatch, fake.url)
    yield fake
    server.shutdown()
    server.server_close()


def use_livekit(monkeypatch: pytest.MonkeyPatch, url: str, secret: str = API_SECRET) -> None:
    monkeypatch.setenv("COMPTOIR_LIVE_MEDIA", "livekit")
    monkeypatch.setenv("COMPTOIR_LIVE_LIVEKIT_URL", url)
    monkeypatch.setenv("COMPTOIR_LIVE_LIVEKIT_API_KEY", API_KEY)
    monkeypatch.setenv("COMPTOIR_LIVE_LIVEKIT_API_SECRET", secret)
    monkeypatch.setattr(config, "_CACHED", [])  # read again from the environment


def start_session(client: Any, studio: Studio, advisor: str) -> tuple[dict[str, Any], Any]:
    """A customer asks, ``advisor`` (available) accepts: the request and the accept's answer."""
    available(client, studio, advisor)
    request = ask(client, studio, language="fr")
    return request, client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff(advisor))


def claims_of(media_out: dict[str, Any]) -> dict[str, Any]:
    """The token's claims, checked against the API secret (LiveKit's own check) and not expired."""
    assert media_out["kind"] == "livekit" and media_out["token"]
    return dict(jwt.decode(media_out["token"], API_SECRET, algorithms=["HS256"]))


def test_each_session_has_its_room_and_each_side_a_token_for_it_only(
    client: Any, studio: Studio, livekit: FakeLiveKit
) -> None:
    request, taken = start_session(client, studio, "anne")
    assert taken.status_code == 201, taken.text
    session_id = taken.json()["id"]
    room = media.room_name(session_id)
    assert room == f"live-{session_id}"
    assert livekit.created[0] == {
        "name": room,
        "empty_timeout": media.EMPTY_TIMEOUT_SECONDS,
        "max_participants": 2,
    }
    assert taken.json()["media"]["url"] == livekit.url

    # the advisor's token: that room, as the advisor, publish and subscribe, for the ticket's lifetime
    advisor = claims_of(taken.json()["media"])
    assert advisor["sub"] == f"advisor-{session_id}" and advisor["iss"] == API_KEY
    assert advisor["video"]["room"] == room and advisor["video"]["roomJoin"] is True
    assert advisor["video"]["canPublish"] is True and advisor["video"]["canSubscribe"] is True
    for power in ("roomCreate", "roomAdmin", "roomList", "roomRecord"):
        assert not advisor["video"].get(power), power  # a browser's token creates and administers nothing
    assert abs(advisor["exp"] - (time.time() + 4 * 3600)) < 120  # ticket_hours

    # the customer's page joins the same room as the customer (the room is asked for again: idempotent)
    seen = client.get(f"/v1/live/sessions/{session_id}", headers={**studio.shopper, **ticket(request)})
    assert seen.status_code == 200, seen.text
    customer = claims_of(seen.json()["media"])
    assert customer["sub"] == f"customer-{session_id}" and customer["video"]["room"] == room
    assert [c["name"] for c in livekit.created] == [room, room]

    # another session gets another room: neither token reaches the other's
    _, other = start_session(client, studio, "bruno")
    assert other.status_code == 201, other.text
    other_room = media.room_name(other.json()["id"])
    assert other_room != room and livekit.created[-1]["name"] == other_room
    assert claims_of(other.json()["media"])["video"]["room"] == other_room
    with pytest.raises(jwt.InvalidSignatureError):  # a token is worth nothing without the API secret
        jwt.decode(
            taken.json()["media"]["token"], "another-secret-0123456789-0123456789", algorithms=["HS256"]
        )

    # the session ends: once committed, its room is deleted on the server
    ended = client.post(f"/v1/live/sessions/{session_id}/end", headers=studio.staff("anne"))
    assert ended.status_code == 200, ended.text
    assert livekit.deleted == [room]
    assert livekit.refused == []


def test_the_twirp_calls_carry_a_token_signed_with_the_api_secret(
    client: Any, studio: Studio, livekit: FakeLiveKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_livekit(monkeypatch, livekit.url, secret="a-secret-livekit-does-not-know-0123456789")
    _, taken = start_session(client, studio, "anne")
    # the advisor has taken the customer (the session stands) without its video for now…
    assert taken.status_code == 201 and taken.json()["media"] is None, taken.text
    # …and asking for it gets the clear problem
    video = client.get(f"/v1/live/sessions/{taken.json()['id']}", headers=studio.staff("anne"))
    assert video.status_code == 503 and video.headers["content-type"].startswith("application/problem+json")
    assert livekit.refused and livekit.refused[0].startswith("invalid token")
    assert livekit.created == []


@pytest.mark.parametrize("server", ["closed port", "silent"])
def test_a_livekit_server_that_does_not_answer_is_a_503_not_a_500(
    client: Any, studio: Studio, livekit: FakeLiveKit, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    monkeypatch.setattr(media, "API_TIMEOUT_SECONDS", 0.5)
    if server == "closed port":
        use_livekit(monkeypatch, f"http://127.0.0.1:{free_port()}")
    else:
        livekit.hang = True
    request, taken = start_session(client, studio, "anne")
    assert taken.status_code == 201 and taken.json()["media"] is None, taken.text
    problem = client.get(f"/v1/live/sessions/{taken.json()['id']}", headers=studio.staff("anne")).json()
    assert (
        problem["type"].endswith(":media-unavailable") and "video server does not answer" in problem["detail"]
    )
    # the session itself started: the page reaching it meanwhile gets the same clear problem, and its
    # video once LiveKit answers again
    page = {**studio.shopper, **ticket(request)}
    state = client.get(f"/v1/live/requests/{request['id']}", headers=page).json()
    assert state["status"] == "accepted" and state["session_id"]
    assert client.get(f"/v1/live/sessions/{state['session_id']}", headers=page).status_code == 503
    livekit.hang = False
    use_livekit(monkeypatch, livekit.url)
    again = client.get(f"/v1/live/sessions/{state['session_id']}", headers=page)
    assert again.status_code == 200, again.text
    assert claims_of(again.json()["media"])["video"]["room"] == media.room_name(state["session_id"])
    # ending it while LiveKit is away still ends it (the room closes itself once empty)
    livekit.hang = True
    ended = client.post(f"/v1/live/sessions/{state['session_id']}/end", headers=studio.staff("anne"))
    assert ended.status_code == 200 and ended.json()["status"] == "ended"


def test_without_the_livekit_extra_the_problem_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    from comptoir.core.errors import Unavailable

    real_import = builtins.__import__

    def no_livekit(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "livekit" or name.startswith("livekit."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_livekit)
    use_livekit(monkeypatch, "http://127.0.0.1:9")
    with pytest.raises(Unavailable, match=r"comptoir\[livekit\]"):
        media.provider(config.live_settings()).join("live-x", "advisor-x", "Anne", None)  # type: ignore[arg-type]
