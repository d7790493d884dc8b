"""``comptoir payments …``: the sandbox card provider, gift cards from the shell, abandoned authorisations."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Annotated

import typer
from pydantic import ValidationError

from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import compensation, service
from comptoir.payments.config import get_payments_settings
from comptoir.payments.schemas import GiftCardIssueIn

payments_app = typer.Typer(help="Payments: the sandbox card provider, gift cards, abandoned authorisations.")


@payments_app.command("sandbox")
def sandbox(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8090,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Where to POST signed events, e.g. http://127.0.0.1:8000/v1/payments/providers/sandbox/events"
        ),
    ] = None,
) -> None:
    """Run the sandbox card provider (test tokens tok_visa, tok_declined, tok_3ds…) as its own HTTP service.

    It uses COMPTOIR_PAYMENTS_PROVIDER_SECRET and COMPTOIR_PAYMENTS_PROVIDER_WEBHOOK_SECRET, so a Comptoir
    with COMPTOIR_PAYMENTS_PROVIDER_URL=http://HOST:PORT talks to it with the same settings."""
    import uvicorn

    from comptoir.payments.providers.sandbox import Sandbox, create_sandbox_app

    settings = get_payments_settings()
    state = Sandbox(
        secret=settings.provider_secret,
        webhook_secret=settings.provider_webhook_secret,
        webhook_url=webhook_url,
        public_url=f"http://{host}:{port}",
    )
    stop = threading.Event()
    deliverer = threading.Thread(target=state.deliver_forever, args=(stop,), daemon=True)
    deliverer.start()
    try:
        uvicorn.run(create_sandbox_app(state), host=host, port=port, log_level="warning")
    finally:
        stop.set()


def _db() -> Database:
    return Database(get_settings().database_url)


@payments_app.command("issue-gift-card")
def issue_gift_card(
    amount: Annotated[str, typer.Argument(help="Amount, e.g. 50.00")],
    reference: Annotated[str, typer.Option(help="Your reference (replaying it returns the same card)")],
    currency: Annotated[str, typer.Option()] = "EUR",
    kind: Annotated[str, typer.Option(help="gift_card or voucher")] = "gift_card",
    with_pin: Annotated[bool, typer.Option("--pin/--no-pin")] = True,
    customer: Annotated[str | None, typer.Option(help="Customer id the card belongs to")] = None,
) -> None:
    """Issue a gift card or voucher; prints it as JSON (with the PIN, shown only this once)."""
    try:
        cmd = GiftCardIssueIn.model_validate(
            {
                "amount": Decimal(amount),
                "currency": currency,
                "kind": kind,
                "with_pin": with_pin,
                "customer_id": customer,
                "reference": reference,
            }
        )
        with UnitOfWork(_db()) as uow:
            out = service.issue_gift_card(uow, cmd)
            uow.commit()
    except (ValidationError, Problem, ArithmeticError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))


@payments_app.command("void-abandoned")
def void_abandoned(
    older_than: Annotated[int, typer.Option(help="Seconds an authorisation must be old")] = 120,
) -> None:
    """Void card authorisations the provider still holds for orders that never committed."""
    from datetime import timedelta

    with UnitOfWork(_db()) as uow:
        voided = compensation.void_abandoned_authorisations(uow, older_than=timedelta(seconds=older_than))
        uow.commit()
    typer.echo(f"voided: {len(voided)}")
    for payment_id in voided:
        typer.echo(payment_id)


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(payments_app, name="payments")
