"""The ``comptoir`` command: serve the API, run workers, migrate, load demo data, manage API keys."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    from comptoir.core.db import Database
    from comptoir.core.settings import Settings


@functools.cache
def _domain_commands(name: str) -> TyperGroup:
    """One domain's commands, imported on first use: its group and its ``import`` sub-commands."""
    from comptoir.domains import declaration

    group, imports = typer.Typer(), typer.Typer()
    declaration(name).register_cli(group, imports)
    group.add_typer(imports, name="import")
    return typer.main.get_group(group)


class _DomainGroups(TyperGroup):
    """The ``comptoir`` command: ``comptoir <domain> …`` imports that domain's command-line module only
    when it is named (or when the help lists every command), never for ``serve`` or ``worker``."""

    def list_commands(self, ctx: Any) -> list[str]:
        from comptoir.domains import NAMES

        for name in NAMES:
            self.get_command(ctx, name)
        return super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from comptoir.domains import NAMES

        if cmd_name not in self.commands and cmd_name in NAMES:
            command = _domain_commands(cmd_name).commands.get(cmd_name)
            if command is not None:
                self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


class _DomainImports(TyperGroup):
    """``comptoir import <name> FILE``: the command comes from the domain declaring ``<name>`` among its
    ``import_commands``, whose command-line module is imported then."""

    def list_commands(self, ctx: Any) -> list[str]:
        from comptoir.domains import all_domains

        for domain in all_domains():
            for name in domain.import_commands:
                self.get_command(ctx, name)
        return super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from comptoir.domains import all_domains

        if cmd_name not in self.commands:
            for domain in all_domains():
                if cmd_name in domain.import_commands:
                    imports = _domain_commands(domain.name).commands["import"]
                    command = imports.commands.get(cmd_name) if isinstance(imports, TyperGroup) else None
                    if command is not None:
                        self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_DomainGroups,
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
import_app = typer.Typer(cls=_DomainImports, help="Import data files (CSV or JSON Lines) into a domain.")
app.add_typer(import_app, name="import")


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
    if workers > 1:
        _metrics_directory()
    typer.secho(f"Comptoir on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", fg="green")
    uvicorn.run(
        "comptoir.asgi:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


def _metrics_directory() -> Path:
    """Where the API processes keep their metrics so that any of them answers ``/metrics`` for all:
    ``PROMETHEUS_MULTIPROC_DIR`` if set, else a new directory for this server; emptied now, since
    files left by an earlier server would be added to this one's figures. The processes started
    after this read it when they import ``prometheus_client`` (this one has already: it serves none)."""
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="comptoir-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


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
    from comptoir.core.startup import collector_paused

    with collector_paused():
        from comptoir.core.dispatcher import Dispatcher, dispatcher_config
        from comptoir.core.observability import configure_logging
        from comptoir.domains import build_bus, build_jobs

        settings = _settings()
        configure_logging(settings.log_level, settings.log_json)
        bus, jobs = build_bus(settings), build_jobs(settings)
        dispatcher = Dispatcher(_db(), bus, dispatcher_config(settings), jobs=jobs)
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
    try:
        for line in load_demo(_db(), settings, keys_file=Path("var/demo-keys.txt")):
            typer.echo(line)
    except ModuleNotFoundError as exc:
        if exc.name != "faker":
            raise
        typer.secho("The demo data needs the demo extra: pip install 'comptoir[demo]'.", fg="red", err=True)
        raise typer.Exit(2) from exc


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
    kind: Annotated[
        str | None,
        typer.Option(help="secret (systems), shop (a shop's devices) or publishable (browsers and apps)"),
    ] = None,
    shop: Annotated[str | None, typer.Option(help="Bind a secret key to one shop")] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute (default from settings)")
    ] = None,
) -> None:
    """Create an API key. The token is printed once: store it in the client's secrets."""
    from pydantic import ValidationError

    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.uow import UnitOfWork

    try:
        command = ApiKeyCreate.model_validate(
            {
                "name": name,
                "scopes": scope,
                "channel": channel,
                "kind": kind,
                "shop_id": shop,
                "rate_limit_per_minute": rate_limit,
            }
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    with UnitOfWork(_db()) as uow:
        created = create_key(uow, command)
        uow.commit()
    typer.echo(
        f"id:      {created.id}\nkind:    {created.kind}\nchannel: {created.channel or 'back office'}\n"
        f"scopes:  {' '.join(created.scopes)}"
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


staff_app = typer.Typer(
    help="Employees who sign in as themselves: roles, shops, passwords.", no_args_is_help=True
)
app.add_typer(staff_app, name="staff")


@staff_app.command("create")
def staff_create(
    email: Annotated[str, typer.Option(help="Their sign-in e-mail address")],
    name: Annotated[str, typer.Option(help="Their name, as colleagues see it")],
    role: Annotated[
        str, typer.Option(help="seller, shop_manager, advisor, service_agent, back_office or admin")
    ],
    shop: Annotated[list[str] | None, typer.Option(help="Repeatable: a shop they work in")] = None,
) -> None:
    """Add an employee; the password is asked for (at least 12 characters) and never printed."""
    from pydantic import ValidationError

    from comptoir.core import staff
    from comptoir.core.errors import Problem
    from comptoir.core.uow import UnitOfWork

    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        command = staff.StaffPersonIn.model_validate(
            {"email": email, "name": name, "role": role, "shops": shop or [], "password": password}
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.secho(f"{'.'.join(map(str, err['loc']))}: {err['msg']}", fg="red", err=True)
        raise typer.Exit(2) from exc
    try:
        with UnitOfWork(_db()) as uow:
            person = staff.create_person(uow, command)
            uow.commit()
    except Problem as exc:
        typer.secho(exc.detail, fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{person.id}  {person.role.value}  {' '.join(person.shops) or 'every shop'}  {person.email}")


@staff_app.command("list")
def staff_list() -> None:
    """Every employee with their role and shops."""
    from comptoir.core import staff
    from comptoir.core.uow import UnitOfWork

    with UnitOfWork(_db(), read_only=True) as uow:
        people = staff.list_people(uow)
    for p in people:
        state = "blocked" if p.blocked else "active"
        typer.echo(f"{p.id}  {state:<8} {p.role.value:<14} {' '.join(p.shops) or 'every shop':<24} {p.email}")
