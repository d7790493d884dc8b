"""What a domain plugs into the application, the worker and the ``comptoir`` command.

Each domain declares one :class:`Domain` in ``comptoir/<domain>/domain.py``; ``comptoir.domains`` lists the
domains by name in dependency order. What serves requests (models, routers, event handlers, periodic jobs,
the customer's 360° section, page links) is referenced directly. The command-line group and the demo data
are named by module path and imported only when used, so API and worker processes never load them (nor
what they need: faker, numpy, report generators).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from comptoir.core.api import CustomerSection
    from comptoir.core.dispatcher import Job
    from comptoir.core.events import Bus
    from comptoir.core.settings import Settings
    from comptoir.core.uow import UnitOfWork


class RegisterCli(Protocol):
    """``register_cli(app, import_app)`` in a domain's ``cli`` module: adds ``comptoir <domain> …`` to
    ``app`` and any ``comptoir import <name> FILE`` commands to ``import_app``."""

    def __call__(self, app: typer.Typer, import_app: typer.Typer, /) -> None: ...


class LoadDemo(Protocol):
    """``load_demo(uow, settings)`` in a domain's ``demo`` module: adds the demo retailer's data once
    (a second call adds nothing); the caller commits."""

    def __call__(self, uow: UnitOfWork, settings: Settings, /) -> None: ...


@dataclass(frozen=True)
class Domain:
    """One domain's plug-ins. Every field but ``name`` is optional; add a field here (with a default) when
    the kernel learns to call a new kind of plug-in, and fill it in the domains that have one."""

    name: str
    # The SQLAlchemy tables (imported so ``Base.metadata`` is complete for migrations and tests).
    models: ModuleType | None = None
    # The API and page routers, included in this order, as ``"module:attribute"``: imported when the app
    # is built (``load_routers``), so a worker process never loads routes or pages.
    routers: tuple[str, ...] = ()
    # Subscribes the domain's reactions to events.
    register_handlers: Callable[[Bus], None] | None = None
    # The periodic jobs the dispatcher runs.
    jobs: Callable[[Settings], list[Job]] | None = None
    # customer_section(uow, customer_id) -> JSON-ready dict: this domain's part of the 360° view.
    customer_section: CustomerSection | None = None
    # customer_export(uow, customer_id) -> JSON-ready dict: everything this domain holds on the person,
    # for the GDPR export (defaults to the 360° section). A domain storing personal data also erases it
    # on ``customers.customer_erased`` (tests/test_erasure_scan.py holds every domain to both).
    customer_export: CustomerSection | None = None
    # Entry points of the reference pages: (title message id, path), e.g. ("Customers", "/pages/customers"),
    # or the ``"module:attribute"`` holding that list (the domain's pages module, imported by ``page_links``).
    pages: list[tuple[str, str]] | str = field(default_factory=list)
    # Module path of the command-line group, holding ``register_cli`` (see RegisterCli). It adds the group
    # ``comptoir <name>`` and the ``comptoir import …`` commands listed in ``import_commands``.
    cli: str | None = None
    import_commands: tuple[str, ...] = ()
    # Module path of the demo data, holding ``load_demo`` (see LoadDemo).
    demo: str | None = None

    @property
    def package(self) -> str:
        return f"comptoir.{self.name}"

    def load_routers(self) -> list[APIRouter]:
        """Import the domain's routers."""
        return [cast("APIRouter", _resolve(reference)) for reference in self.routers]

    def page_links(self) -> list[tuple[str, str]]:
        """The entry points of the domain's pages (importing its pages module when named)."""
        if isinstance(self.pages, str):
            return cast("list[tuple[str, str]]", _resolve(self.pages))
        return self.pages

    def register_cli(self, app: typer.Typer, import_app: typer.Typer) -> None:
        """Import the domain's command-line module and add its commands."""
        if self.cli is not None:
            register = cast(RegisterCli, importlib.import_module(self.cli).register_cli)
            register(app, import_app)

    def load_demo(self, uow: UnitOfWork, settings: Settings) -> None:
        """Import the domain's demo module and load its data (the caller commits)."""
        if self.demo is not None:
            load = cast(LoadDemo, importlib.import_module(self.demo).load_demo)
            load(uow, settings)


def _resolve(reference: str) -> object:
    """``"package.module:attribute"`` → that attribute, importing the module."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
