"""SMS and push: the provider's HTTP gateway (each class of answer, Retry-After, Idempotency-Key), the
development sandbox, E.164 numbers and how many SMS a text takes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from comptoir.core import clock
from comptoir.core.messaging import (
    ConfigurationFailure,
    Delivery,
    HttpPushSender,
    HttpSmsSender,
    MessageRefused,
    PermanentFailure,
    PushMessage,
    SandboxPushSender,
    SandboxSmsSender,
    SmsLength,
    SmsMessage,
    TransientFailure,
    push_sender_from_settings,
    sms_length,
    sms_sender_from_settings,
)
from comptoir.core.settings import Settings

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GATEWAY = "https://sms.provider.example/v1/messages"
SMS = SmsMessage(to="+33612345678", text="Votre commande est arrivée.", reference="eng_0192f3c1a2b4")
PUSH = PushMessage(
    token="fcm:dGVzdC10b2tlbi0wMTIz",
    title="Votre commande est prête",
    body="À retirer en boutique.",
    data={"order_id": "ord_0192", "deep_link": "comptoir://orders/ord_0192"},
    reference="eng_0192f3c1a2b5",
)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def gateway(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[HttpSmsSender, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return HttpSmsSender(GATEWAY, "tok-secret", timeout=2, transport=httpx.MockTransport(handle)), seen


def answering(status: int, body: Any = None, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(body, dict):
            return httpx.Response(status, json=body, headers=headers)
        return httpx.Response(status, text=body or "", headers=headers)

    return answer


# -- the HTTP connector ------------------------------------------------------------------------------------


def test_an_sms_is_posted_as_json_with_the_token_and_its_reference_as_idempotency_key() -> None:
    sender, seen = gateway(answering(200, {"id": "SM8f1e2d", "status": "sent"}))
    # when an SMS is sent, then the provider's id comes back
    assert sender.send(SMS) == Delivery("SM8f1e2d", "sent")
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", GATEWAY)
    assert request.headers["Authorization"] == "Bearer tok-secret"
    assert request.headers["Idempotency-Key"] == "eng_0192f3c1a2b4"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "to": "+33612345678",
        "text": "Votre commande est arrivée.",
        "reference": "eng_0192f3c1a2b4",
        "encoding": "GSM-7",
        "segments": 1,
    }


def test_a_retry_sends_the_same_idempotency_key() -> None:
    answers = iter([httpx.Response(503), httpx.Response(201, json={"id": "SM1"})])
    sender, seen = gateway(lambda request: next(answers))
    with pytest.raises(TransientFailure):
        sender.send(SMS)
    assert sender.send(SMS) == Delivery("SM1", "sent")
    assert [r.headers["Idempotency-Key"] for r in seen] == ["eng_0192f3c1a2b4", "eng_0192f3c1a2b4"]


def test_a_push_notification_is_posted_with_its_data() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"name": "projects/shop/messages/0:1717"})

    sender = HttpPushSender(
        "https://push.provider.example/send", "tok-push", transport=httpx.MockTransport(handle)
    )
    assert sender.send(PUSH) == Delivery("projects/shop/messages/0:1717", "queued")
    assert json.loads(seen[0].content) == {
        "token": "fcm:dGVzdC10b2tlbi0wMTIz",
        "title": "Votre commande est prête",
        "body": "À retirer en boutique.",
        "data": {"order_id": "ord_0192", "deep_link": "comptoir://orders/ord_0192"},
        "reference": "eng_0192f3c1a2b5",
    }
    assert seen[0].headers["Idempotency-Key"] == "eng_0192f3c1a2b5"


@pytest.mark.parametrize(
    ("status", "body", "delivery"),
    [
        (200, {"id": 4711}, Delivery("4711", "sent")),
        (201, {"message_id": "m-1", "status": "queued"}, Delivery("m-1", "queued")),
        (202, {"id": "q-1"}, Delivery("q-1", "queued")),
        (204, None, Delivery(None, "sent")),
        (200, "OK", Delivery(None, "sent")),
    ],
)
def test_every_2xx_answer_is_a_delivery(status: int, body: Any, delivery: Delivery) -> None:
    sender, _ = gateway(answering(status, body))
    assert sender.send(SMS) == delivery


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (400, PermanentFailure),
        (410, PermanentFailure),
        (422, PermanentFailure),
        (408, TransientFailure),
        (409, TransientFailure),
        (429, TransientFailure),
        (500, TransientFailure),
        (502, TransientFailure),
        (503, TransientFailure),
        (401, ConfigurationFailure),
        (403, ConfigurationFailure),
        (404, ConfigurationFailure),
        (301, ConfigurationFailure),
        (413, MessageRefused),
    ],
)
def test_each_class_of_refusal_maps_to_its_failure(status: int, failure: type[Exception]) -> None:
    sender, _ = gateway(answering(status, {"error": "invalid_number", "detail": "+33612345678 unknown"}))
    with pytest.raises(failure) as raised:
        sender.send(SMS)
    assert type(raised.value) is failure
    assert raised.value.code == status  # type: ignore[attr-defined]
    assert str(raised.value).startswith(f"sms provider answered {status}: ")


def test_a_configuration_failure_is_retried_never_a_bounce() -> None:
    # a wrong token must not suppress the customer's number: it is retried like a transient failure
    assert issubclass(ConfigurationFailure, TransientFailure)
    assert not issubclass(ConfigurationFailure, PermanentFailure)


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [
        (429, "120", 120.0),
        (503, "Mon, 02 Mar 2026 09:31:15 GMT", 75.0),
        (429, "Mon, 02 Mar 2026 09:00:00 GMT", 0.0),
        (408, "soon", None),
        (500, None, None),
    ],
)
def test_retry_after_is_honoured_in_seconds_or_as_a_date(
    status: int, retry_after: str | None, seconds: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    sender, _ = gateway(answering(status, {"error": "slow down"}, **headers))
    with pytest.raises(TransientFailure) as raised:
        sender.send(SMS)
    assert raised.value.retry_after == seconds


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("timed out"), httpx.ConnectError("refused")],
)
def test_a_silent_or_unreachable_provider_is_a_transient_failure(error: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    sender, _ = gateway(fail)
    with pytest.raises(TransientFailure) as raised:
        sender.send(SMS)
    assert type(raised.value) is TransientFailure
    assert raised.value.code is None


def test_a_real_local_gateway_that_does_not_answer_in_time_is_transient() -> None:
    import socket

    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sms"
        with pytest.raises(TransientFailure, match="did not answer in time"):
            HttpSmsSender(url, "tok", timeout=0.3).send(SMS)


# -- the sandbox -------------------------------------------------------------------------------------------


def test_the_sandbox_appends_each_message_as_a_json_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(sms_url=f"sandbox://{tmp_path / 'sms'}", push_url=f"sandbox://{tmp_path / 'push'}")
    sms, push = sms_sender_from_settings(settings), push_sender_from_settings(settings)
    assert isinstance(sms, SandboxSmsSender)
    assert isinstance(push, SandboxPushSender)
    # when two SMS and a notification are sent
    first = sms.send(SMS)
    second = sms.send(SmsMessage(to="+32470123456", text="Code : 123456 😀", reference="eng_2"))
    pushed = push.send(PUSH)
    # then each is one line of the day's file, with the id given back
    lines = (tmp_path / "sms" / "2026-03-02.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "id": first.provider_id,
            "at": "2026-03-02T09:30:00+00:00",
            "to": "+33612345678",
            "text": "Votre commande est arrivée.",
            "reference": "eng_0192f3c1a2b4",
            "encoding": "GSM-7",
            "segments": 1,
        },
        {
            "id": second.provider_id,
            "at": "2026-03-02T09:30:00+00:00",
            "to": "+32470123456",
            "text": "Code : 123456 😀",
            "reference": "eng_2",
            "encoding": "UCS-2",
            "segments": 1,
        },
    ]
    assert (first.status, second.status) == ("sent", "sent")
    assert first.provider_id != second.provider_id
    [line] = (tmp_path / "push" / "2026-03-02.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {"id": pushed.provider_id, "at": "2026-03-02T09:30:00+00:00", **PUSH.as_json()}


def test_the_default_transports_are_sandboxes_under_var() -> None:
    settings = Settings()
    assert (settings.sms_url, settings.push_url) == ("sandbox://var/sms", "sandbox://var/push")
    assert str(sms_sender_from_settings(settings).directory) == "var/sms"  # type: ignore[attr-defined]


def test_an_https_url_makes_the_http_connector() -> None:
    settings = Settings(sms_url=GATEWAY, sms_token="tok-secret", messaging_timeout_seconds=3)
    sender = sms_sender_from_settings(settings, transport=httpx.MockTransport(answering(200, {"id": "x"})))
    assert isinstance(sender, HttpSmsSender)
    assert sender.send(SMS) == Delivery("x", "sent")


@pytest.mark.parametrize(
    ("values", "fault"),
    [
        ({"sms_url": "ftp://sms.example"}, "COMPTOIR_SMS_URL must be https://"),
        ({"push_url": "sandbox://"}, "COMPTOIR_PUSH_URL must be https://"),
        ({"sms_url": GATEWAY}, "COMPTOIR_SMS_TOKEN is needed"),
        (
            {
                "push_url": "http://push.internal/send",
                "push_token": "t",
                "env": "production",
                "secret_key": "x" * 40,
            },
            "COMPTOIR_PUSH_URL must be https:// in production",
        ),
    ],
)
def test_messaging_settings_are_checked_at_start_up(values: dict[str, Any], fault: str) -> None:
    with pytest.raises(ValidationError, match=fault):
        Settings(**values)


# -- messages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["0612345678", "+33 6 12 34 56 78", "+33612", "+33012345678", "33612345678"]
)
def test_an_sms_goes_to_a_valid_number_in_e164_form_only(number: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        SmsMessage(to=number, text="Bonjour", reference="r1")


def test_a_message_needs_content_and_a_reference() -> None:
    with pytest.raises(ValueError, match="needs a text"):
        SmsMessage(to="+33612345678", text="", reference="r1")
    with pytest.raises(ValueError, match="reference"):
        SmsMessage(to="+33612345678", text="Bonjour", reference="")
    with pytest.raises(ValueError, match="push token"):
        PushMessage(token="a b", title="t", body="b", data={}, reference="r1")
    with pytest.raises(ValueError, match="JSON values"):
        PushMessage(token="tok", title="t", body="b", data={"when": datetime.now(UTC)}, reference="r1")


# -- SMS length --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # € and [ are extension characters: two septets each
        ("€" * 81, "GSM-7", 162, 2),
        ("[" * 80 + "a", "GSM-7", 161, 2),
        # an escape pair is never split: 152 + (€ does not fit in 153) → the € opens the second part
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("Votre commande est prête à l'été" + "é" * 128, "UCS-2", 160, 3),
        ("é" * 160, "GSM-7", 160, 1),  # é is in GSM-7 …
        ("ê", "UCS-2", 1, 1),  # … ê is not
        ("Ça va", "GSM-7", 5, 1),  # the capital Ç is in GSM-7 …
        ("ça va", "UCS-2", 5, 1),  # … the small ç is not
        ("ê" * 70, "UCS-2", 70, 1),
        ("ê" * 71, "UCS-2", 71, 2),
        ("Merci 😀", "UCS-2", 8, 1),  # an emoji makes UCS-2 and takes two units
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),  # a surrogate pair is never split either
    ],
)
def test_the_sms_length_counts_encoding_units_and_segments(
    text: str, encoding: str, units: int, segments: int
) -> None:
    assert sms_length(text) == SmsLength(encoding, units, segments)  # type: ignore[arg-type]
