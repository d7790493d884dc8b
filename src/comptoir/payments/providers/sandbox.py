"""The sandbox card provider: the HTTP protocol of :mod:`comptoir.payments.providers.http`, served by a
separate process (``comptoir payments sandbox --port 8090 --webhook-url …``) or embedded in this one.

Test card tokens, like a real provider's test mode:

- ``tok_visa``, ``tok_mastercard``: authorised (``requires_capture``);
- ``tok_declined``: declined (``card_declined``); ``tok_insufficient_funds``: declined (``insufficient_funds``);
- ``tok_3ds``: ``requires_action`` until the customer authenticates — simulated with
  ``POST /v1/test_helpers/payment_intents/{id}/authenticate`` ``{"outcome": "success" | "failure"}``,
  which sends ``payment_intent.amount_capturable_updated`` or ``payment_intent.payment_failed``;
- ``POST /v1/test_helpers/payment_intents/{id}/dispute`` sends ``charge.dispute.created``.

Every change of an intent is an event, kept in order (``GET /v1/events``) and, when a webhook URL is
set, POSTed there signed with the webhook secret (retried a few times in a background thread).
State lives in memory: a sandbox restart forgets its payments, as a test environment may.
"""

from __future__ import annotations

import html
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from comptoir.core.ids import new_id
from comptoir.core.webhooks import signature_headers
from comptoir.payments.config import PaymentsSettings

log = logging.getLogger("comptoir.payments.sandbox")

APPROVED = {"tok_visa", "tok_mastercard", "tok_amex"}
DECLINED = {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"}
CHALLENGE = {"tok_3ds"}


class SandboxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Intent:
    id: str
    amount: Decimal
    currency: str
    status: str
    metadata: dict[str, str]
    created: int
    amount_captured: Decimal = Decimal(0)
    amount_refunded: Decimal = Decimal(0)
    next_action: dict[str, str] | None = None
    decline_code: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment_intent",
            "status": self.status,
            "amount": str(self.amount),
            "currency": self.currency,
            "amount_captured": str(self.amount_captured),
            "amount_refunded": str(self.amount_refunded),
            "next_action": self.next_action,
            "decline_code": self.decline_code,
            "metadata": self.metadata,
            "created": self.created,
        }


@dataclass
class Sandbox:
    """The provider's state and rules, independent of HTTP."""

    secret: str
    webhook_secret: str
    webhook_url: str | None = None
    public_url: str = "http://sandbox.invalid"
    intents: dict[str, Intent] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    outbox: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)

    # -- operations ------------------------------------------------------------------------------------
    def create_intent(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = Decimal(str(body["amount"]))
            currency = str(body["currency"]).upper()
            token = str(body["token"])
        except (KeyError, InvalidOperation) as exc:
            raise SandboxError(
                400, "parameter_invalid", f"amount, currency and token are required: {exc}"
            ) from exc
        if amount <= 0:
            raise SandboxError(400, "amount_invalid", "amount must be positive")
        if token not in APPROVED | CHALLENGE | set(DECLINED):
            raise SandboxError(400, "token_invalid", f"unknown test token {token!r}")
        intent = Intent(
            id=new_id("pi"),
            amount=amount,
            currency=currency,
            status="requires_capture",
            metadata={str(k): str(v) for k, v in (body.get("metadata") or {}).items()},
            created=int(time.time()),
        )
        if token in DECLINED:
            intent.status, intent.decline_code = "declined", DECLINED[token]
            self._emit("payment_intent.payment_failed", intent)
        elif token in CHALLENGE:
            intent.status = "requires_action"
            intent.next_action = {"type": "redirect", "url": f"{self.public_url}/3ds/{intent.id}"}
        else:
            self._emit("payment_intent.amount_capturable_updated", intent)
        self.intents[intent.id] = intent
        return intent.view()

    def _intent(self, intent_id: str) -> Intent:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise SandboxError(404, "resource_missing", f"no payment intent {intent_id}")
        return intent

    def retrieve(self, intent_id: str) -> dict[str, Any]:
        return self._intent(intent_id).view()

    def capture(self, intent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent.status == "succeeded":
            return intent.view()
        if intent.status != "requires_capture":
            raise SandboxError(
                400, "payment_intent_unexpected_state", f"cannot capture a {intent.status} intent"
            )
        amount = Decimal(str(body.get("amount") or intent.amount))
        if amount <= 0 or amount > intent.amount:
            raise SandboxError(400, "amount_too_large", "capture amount exceeds the authorised amount")
        intent.status, intent.amount_captured = "succeeded", amount
        self._emit("payment_intent.succeeded", intent)
        return intent.view()

    def cancel(self, intent_id: str) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent.status == "canceled":
            return intent.view()
        if intent.status not in ("requires_capture", "requires_action"):
            raise SandboxError(
                400, "payment_intent_unexpected_state", f"cannot cancel a {intent.status} intent"
            )
        intent.status, intent.next_action = "canceled", None
        self._emit("payment_intent.canceled", intent)
        return intent.view()

    def refund(self, body: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(str(body.get("payment_intent")))
        amount = Decimal(str(body.get("amount") or (intent.amount_captured - intent.amount_refunded)))
        if intent.status != "succeeded":
            raise SandboxError(400, "charge_not_captured", "only a captured payment can be refunded")
        if amount <= 0 or intent.amount_refunded + amount > intent.amount_captured:
            raise SandboxError(400, "amount_too_large", "refund exceeds what remains captured")
        intent.amount_refunded += amount
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "payment_intent": intent.id,
            "amount": str(amount),
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        self._emit("charge.refunded", intent)
        return refund

    def authenticate(self, intent_id: str, outcome: str) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent.status != "requires_action":
            raise SandboxError(400, "payment_intent_unexpected_state", "no authentication pending")
        intent.next_action = None
        if outcome == "success":
            intent.status = "requires_capture"
            self._emit("payment_intent.amount_capturable_updated", intent)
        else:
            intent.status, intent.decline_code = "declined", "authentication_failed"
            self._emit("payment_intent.payment_failed", intent)
        return intent.view()

    def dispute(self, intent_id: str) -> dict[str, Any]:
        intent = self._intent(intent_id)
        if intent.status != "succeeded":
            raise SandboxError(400, "charge_not_captured", "only a captured payment can be disputed")
        self._emit("charge.dispute.created", intent)
        return intent.view()

    def list_intents(
        self, statuses: set[str], created_gte: int | None, created_lte: int | None, limit: int
    ) -> list[dict[str, Any]]:
        found = [
            i
            for i in self.intents.values()
            if (not statuses or i.status in statuses)
            and (created_lte is None or i.created <= created_lte)
            and (created_gte is None or i.created >= created_gte)
        ]
        found.sort(key=lambda i: (i.created, i.id))
        return [i.view() for i in found[:limit]]

    # -- idempotency -------------------------------------------------------------------------------------
    def idempotent(self, key: str | None, scope: str, run: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key is not None and (scope, key) in self.replies:
                return self.replies[(scope, key)]
            try:
                reply = (200, run())
            except SandboxError as exc:
                reply = (
                    exc.status,
                    {"error": {"type": "invalid_request_error", "code": exc.code, "message": exc.message}},
                )
            if key is not None:
                self.replies[(scope, key)] = reply
            return reply

    # -- events ------------------------------------------------------------------------------------------
    def _emit(self, event_type: str, intent: Intent) -> None:
        event = {
            "id": new_id("evt"),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": intent.view()},
        }
        self.events.append(event)
        if self.webhook_url:
            self.outbox.put(event)

    def deliver_forever(self, stop: threading.Event) -> None:
        """Send queued events to the webhook URL, in order, retrying each a few times."""
        import httpx

        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    event = self.outbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                body = json.dumps(event).encode()
                for attempt in range(5):
                    headers = signature_headers(self.webhook_secret, event["id"], int(time.time()), body)
                    try:
                        status = client.post(str(self.webhook_url), content=body, headers=headers).status_code
                        if status < 300:
                            break
                        log.warning("event %s answered %s", event["id"], status)
                    except httpx.HTTPError as exc:
                        log.warning("event %s not delivered: %s", event["id"], exc)
                    time.sleep(min(0.2 * 2**attempt, 5))


def create_sandbox_app(sandbox: Sandbox) -> FastAPI:
    app = FastAPI(title="Comptoir sandbox card provider", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Any:
        if (
            request.url.path.startswith("/v1/")
            and request.headers.get("authorization") != f"Bearer {sandbox.secret}"
        ):
            return JSONResponse(
                {
                    "error": {
                        "type": "authentication_error",
                        "code": "secret_invalid",
                        "message": "bad secret",
                    }
                },
                status_code=401,
            )
        return await call_next(request)

    _intent_routes(app, sandbox)
    _test_helper_routes(app, sandbox)
    _challenge_routes(app, sandbox)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _reply(status_body: tuple[int, dict[str, Any]]) -> JSONResponse:
    return JSONResponse(status_body[1], status_code=status_body[0])


async def _body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw else {}


def _intent_routes(app: FastAPI, sandbox: Sandbox) -> None:
    """The provider's API: payment intents (create, list, get, capture, cancel) and refunds."""

    @app.post("/v1/payment_intents")
    async def create(request: Request) -> JSONResponse:
        body = await _body_of(request)
        key = request.headers.get("idempotency-key")
        return _reply(sandbox.idempotent(key, "create", lambda: sandbox.create_intent(body)))

    @app.get("/v1/payment_intents")
    def list_(
        status: str = "", created_gte: int | None = None, created_lte: int | None = None, limit: int = 100
    ) -> JSONResponse:
        with sandbox.lock:
            data = sandbox.list_intents(
                {s for s in status.split(",") if s}, created_gte, created_lte, min(limit, 1000)
            )
        return JSONResponse({"object": "list", "data": data})

    @app.get("/v1/payment_intents/{intent_id}")
    def get(intent_id: str) -> JSONResponse:
        return _reply(sandbox.idempotent(None, "get", lambda: sandbox.retrieve(intent_id)))

    @app.post("/v1/payment_intents/{intent_id}/capture")
    async def capture(intent_id: str, request: Request) -> JSONResponse:
        body = await _body_of(request)
        key = request.headers.get("idempotency-key")
        return _reply(sandbox.idempotent(key, "capture", lambda: sandbox.capture(intent_id, body)))

    @app.post("/v1/payment_intents/{intent_id}/cancel")
    def cancel(intent_id: str, request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        return _reply(sandbox.idempotent(key, "cancel", lambda: sandbox.cancel(intent_id)))

    @app.post("/v1/refunds")
    async def refund(request: Request) -> JSONResponse:
        body = await _body_of(request)
        key = request.headers.get("idempotency-key")
        return _reply(sandbox.idempotent(key, "refund", lambda: sandbox.refund(body)))


def _test_helper_routes(app: FastAPI, sandbox: Sandbox) -> None:
    """What tests drive: a 3-D Secure outcome, a dispute, and the events sent."""

    @app.post("/v1/test_helpers/payment_intents/{intent_id}/authenticate")
    async def authenticate_3ds(intent_id: str, request: Request) -> JSONResponse:
        outcome = str((await _body_of(request)).get("outcome", "success"))
        return _reply(sandbox.idempotent(None, "3ds", lambda: sandbox.authenticate(intent_id, outcome)))

    @app.post("/v1/test_helpers/payment_intents/{intent_id}/dispute")
    def dispute(intent_id: str) -> JSONResponse:
        return _reply(sandbox.idempotent(None, "dispute", lambda: sandbox.dispute(intent_id)))

    @app.get("/v1/events")
    def events(limit: int = 100) -> JSONResponse:
        with sandbox.lock:
            return JSONResponse({"object": "list", "data": sandbox.events[-limit:]})


def _challenge_routes(app: FastAPI, sandbox: Sandbox) -> None:
    """The simulated bank's 3-D Secure challenge page, where ``next_action.url`` sends the customer."""

    @app.get("/3ds/{intent_id}", response_class=HTMLResponse)
    def challenge_page(intent_id: str) -> HTMLResponse:
        """Where ``next_action.url`` sends the customer: the bank's challenge, simulated."""
        with sandbox.lock:
            intent = sandbox.intents.get(intent_id)
            if intent is None or intent.status != "requires_action":
                return HTMLResponse("<p>No authentication pending.</p>", status_code=404)
            amount = f"{intent.amount} {intent.currency}"
        safe = html.escape(intent_id)
        return HTMLResponse(
            f"<!doctype html><title>3-D Secure (sandbox)</title><h1>3-D Secure (sandbox)</h1>"
            f"<p>Confirm the payment of {html.escape(amount)}?</p>"
            f'<form method="post" action="/3ds/{safe}/complete"><button name="outcome" value="success">'
            f'Authenticate</button> <button name="outcome" value="failure">Fail</button></form>'
        )

    @app.post("/3ds/{intent_id}/complete", response_class=HTMLResponse)
    async def challenge_done(intent_id: str, request: Request) -> HTMLResponse:
        form = (await request.body()).decode()
        outcome = "success" if "outcome=success" in form else "failure"
        status, body = sandbox.idempotent(None, "3ds", lambda: sandbox.authenticate(intent_id, outcome))
        text = (
            "Authenticated: you may close this page."
            if body.get("status") == "requires_capture"
            else "Not authenticated."
        )
        return HTMLResponse(f"<!doctype html><p>{text}</p>", status_code=status)


_embedded: dict[str, Any] = {}
_embedded_lock = threading.Lock()


def embedded_state(settings: PaymentsSettings) -> Sandbox:
    """The sandbox running in this process (``COMPTOIR_PAYMENTS_PROVIDER_URL=embedded``), made once."""
    with _embedded_lock:
        sandbox = _embedded.get("sandbox")
        if sandbox is None:
            sandbox = _embedded["sandbox"] = Sandbox(
                secret=settings.provider_secret, webhook_secret=settings.provider_webhook_secret
            )
        return sandbox


def embedded_sandbox() -> Sandbox | None:
    return _embedded.get("sandbox")
