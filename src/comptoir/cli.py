"""The ``comptoir`` command: serve the API, run workers, migrate, load demo data, manage API keys."""

from __future__ import annotations

import inspect
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from comptoir.core.db import Database
    from comptoir.core.settings import Settings

app = typer.Typer(
    name="comptoir",
    help=(
        "Comptoir unified commerce platform.\n\n"
        "Configuration comes from COMPTOIR_* environment variables (or a .env file): "
        "COMPTOIR_DATABASE_URL (default sqlite:///var/comptoir.db), COMPTOIR_SECRET_KEY, "
        "COMPTOIR_BASE_URL, COMPTOIR_ENV=production, … — see README.md."
    ),
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys (channel keys for web, app, stores, …).")
app.add_typer(keys_app, name="keys")
import_app = typer.Typer(help="Import data files (CSV or JSON Lines) into a domain.")


def _settings() -> Settings:
    from comptoir.core.settings import get_settings

    return get_settings()


def _db() -> Database:
    from comptoir.core.db import Database

    return Database(_settings().database_url)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes (use PostgreSQL for more than one)")] = 1,
    dispatcher: Annotated[
        bool,
        typer.Option(help="Deliver events and webhooks inside the API process (off: run `comptoir worker`)"),
    ] = True,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Serve the HTTP API (docs at /docs, health at /healthz and /readyz, metrics at /metrics)."""
    import uvicorn

    from comptoir.core.settings import get_settings, serving_base_url

    settings = _settings()  # fail fast on bad configuration (e.g. default secret in production)
    base_url = serving_base_url(settings, host, port)
    if base_url is not None:  # links in e-mails and receipts point at the port actually served
        os.environ["COMPTOIR_BASE_URL"] = base_url
        get_settings.cache_clear()
    if not dispatcher:
        os.environ["COMPTOIR_DISPATCHER"] = "off"
    if workers > 1 and settings.is_sqlite:
        typer.secho(
            "Several API processes on SQLite serialise on its write lock; prefer PostgreSQL.", fg="yellow"
        )
    typer.secho(f"Comptoir on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", fg="green")
    extra: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters:
        # Recent uvicorn kills a worker that has not answered its health check within 5 s; loading
        # every domain takes longer than that on a busy machine, and workers were restarted forever.
        extra["timeout_worker_healthcheck"] = 120
    uvicorn.run(
        "comptoir.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        **extra,
    )


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option(help="Deliver everything due, then exit (for cron or scripts)")
    ] = False,
) -> None:
    """Deliver events to handlers and webhooks, and run periodic jobs.

    Start as many workers as you like on PostgreSQL: they share the work without delivering an event
    twice to the same handler, and a killed worker's work is picked up by the others.
    """
    from comptoir.app import dispatcher_config
    from comptoir.core.dispatcher import Dispatcher
    from comptoir.core.observability import configure_logging
    from comptoir.domains import build_bus, build_jobs

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    db = _db()
    dispatcher = Dispatcher(db, build_bus(settings), dispatcher_config(settings), jobs=build_jobs(settings))
    if once:
        count = dispatcher.drain()
        typer.echo(f"processed {count} item(s)")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    dispatcher.run_forever(stop)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Create or upgrade the database schema (safe to run every time)."""
    from comptoir.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {_redact(settings.database_url)}")


@app.command()
def demo() -> None:
    """Load the demo retailer (stores, catalogue, customers, stock, orders…). Runs once; later calls skip."""
    from comptoir.demo import load_demo

    settings = _settings()
    for line in load_demo(_db(), settings, keys_file=Path("var/demo-keys.txt")):
        typer.echo(line)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. 'Website' or 'Store Lyon tablet'")],
    scope: Annotated[
        list[str],
        typer.Option(help="Repeatable: <area>:read, <area>:write, *:read, *:write or * (everything)"),
    ],
    channel: Annotated[
        str | None, typer.Option(help="Bind to a channel: web, app, store:<store id>, call-centre, live")
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute (default from settings)")
    ] = None,
) -> None:
    """Create an API key. The token is printed once: store it in the client's secrets."""
    from pydantic import ValidationError

    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.uow import UnitOfWork

    try:
        command = ApiKeyCreate(name=name, scopes=scope, channel=channel, rate_limit_per_minute=rate_limit)
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    with UnitOfWork(_db()) as uow:
        created = create_key(uow, command)
        uow.commit()
    typer.echo(
        f"id:      {created.id}\nchannel: {created.channel or 'back office'}\nscopes:  {' '.join(created.scopes)}"
    )
    typer.secho(f"token:   {created.token}", fg="green")
    typer.echo("The token is shown only now.")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List API keys (never their secrets)."""
    from comptoir.core.auth import list_keys
    from comptoir.core.uow import UnitOfWork

    with UnitOfWork(_db(), read_only=True) as uow:
        keys = list_keys(uow)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in keys], indent=2))
        return
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        typer.echo(f"{k.id}  {state:<18} {k.channel or 'back office':<14} {' '.join(k.scopes):<30} {k.name}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Key id, e.g. key_3f9c1a2b4d5e")]) -> None:
    """Revoke an API key (other API processes stop accepting it within a few seconds)."""
    from comptoir.core.auth import revoke_key
    from comptoir.core.errors import NotFound
    from comptoir.core.uow import UnitOfWork

    try:
        with UnitOfWork(_db()) as uow:
            out = revoke_key(uow, key_id)
            uow.commit()
    except NotFound as exc:
        typer.secho(exc.detail, fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{out.id} revoked at {out.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _register_domain_commands() -> None:
    from comptoir.domains import all_domains

    for domain in all_domains():
        if domain.register_cli is not None:
            domain.register_cli(app, import_app)
    if import_app.registered_commands or import_app.registered_groups:
        app.add_typer(import_app, name="import")


_register_domain_commands()


def main() -> None:
    try:
        app()
    except Exception as exc:  # configuration errors: a clear line rather than a traceback
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            typer.secho(f"Configuration error: {exc}", fg="red", err=True)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
