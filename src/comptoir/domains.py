"""The plate of raviolis: every domain package and what it plugs into the app, worker and CLI.

Wired explicitly (no discovery by string) so readers and type checkers can follow each piece.
Order matters where a domain's demo data needs another's (stores before inventory, and so on).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import typer
from fastapi import APIRouter

from comptoir.core.api import CustomerSection
from comptoir.core.dispatcher import Job
from comptoir.core.events import Bus
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


@dataclass(frozen=True)
class Domain:
    name: str
    models: ModuleType | None = None
    routers: list[APIRouter] = field(default_factory=list)
    register_handlers: Callable[[Bus], None] | None = None
    jobs: Callable[[Settings], list[Job]] | None = None
    load_demo: Callable[[UnitOfWork, Settings], None] | None = None
    # register_cli(app, import_app): add `comptoir <domain> …` and `comptoir import <domain> FILE` commands
    register_cli: Callable[[typer.Typer, typer.Typer], None] | None = None
    # customer_section(uow, customer_id) -> JSON-ready dict: this domain's part of the 360° view
    customer_section: CustomerSection | None = None
    # Entry points of this domain's reference pages: (title message id, path), e.g. ("Customers", "/pages/customers")
    pages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def package(self) -> str:
        return f"comptoir.{self.name}"


def all_domains() -> list[Domain]:
    """Each domain, in dependency order. Each block imports only that domain's public plug-ins."""
    domains: list[Domain] = []
    # <domain:stores>
    from comptoir.stores import cli as stores_cli
    from comptoir.stores import demo as stores_demo
    from comptoir.stores import handlers as stores_handlers
    from comptoir.stores import models as stores_models
    from comptoir.stores import pages as stores_pages
    from comptoir.stores import routes as stores_routes

    domains.append(
        Domain(
            name="stores",
            models=stores_models,
            routers=[stores_routes.router, stores_pages.router],
            register_handlers=stores_handlers.register_handlers,
            load_demo=stores_demo.load_demo,
            register_cli=stores_cli.register_cli,
            pages=[("Stores", "/pages/stores")],
        )
    )
    # <domain:catalog>
    from comptoir.catalog import asset_routes as catalog_asset_routes
    from comptoir.catalog import cli as catalog_cli
    from comptoir.catalog import demo as catalog_demo
    from comptoir.catalog import handlers as catalog_handlers
    from comptoir.catalog import models as catalog_models
    from comptoir.catalog import pages as catalog_pages
    from comptoir.catalog import routes as catalog_routes
    from comptoir.catalog import search_routes as catalog_search_routes

    domains.append(
        Domain(
            name="catalog",
            models=catalog_models,
            routers=[
                catalog_routes.router,
                catalog_asset_routes.router,
                catalog_search_routes.router,
                catalog_pages.router,
            ],
            register_handlers=catalog_handlers.register_handlers,
            load_demo=catalog_demo.load_demo,
            register_cli=catalog_cli.register_cli,
            pages=[("Catalogue", "/pages/catalog"), ("Image rights expiring", "/pages/catalog/rights")],
        )
    )
    # <domain:customers>
    from comptoir.customers import cli as customers_cli
    from comptoir.customers import demo as customers_demo
    from comptoir.customers import handlers as customers_handlers
    from comptoir.customers import models as customers_models
    from comptoir.customers import pages as customers_pages
    from comptoir.customers import profiles as customers_profiles
    from comptoir.customers import routes as customers_routes

    domains.append(
        Domain(
            name="customers",
            models=customers_models,
            routers=[customers_routes.router, customers_pages.router],
            register_handlers=customers_handlers.register_handlers,
            load_demo=customers_demo.load_demo,
            register_cli=customers_cli.register_cli,
            customer_section=customers_profiles.customer_section,
            pages=[("Customers", "/pages/customers"), ("Possible duplicates", "/pages/customers/reviews")],
        )
    )
    return domains


def load_models() -> None:
    """Import every table definition so ``Base.metadata`` is complete (migrations, tests)."""
    importlib.import_module("comptoir.core.models")
    all_domains()  # each Domain entry imports its models module


def build_bus(settings: Settings) -> Bus:
    bus = Bus(settings)
    for domain in all_domains():
        if domain.register_handlers is not None:
            domain.register_handlers(bus)
    for plugin in settings.plugins:
        module = importlib.import_module(plugin)
        register = getattr(module, "register", None)
        if register is not None:
            register(bus)
    return bus


def customer_sections() -> dict[str, CustomerSection]:
    return {d.name: d.customer_section for d in all_domains() if d.customer_section is not None}


def page_links() -> list[tuple[str, str, str]]:
    return [(title, path, d.package) for d in all_domains() for title, path in d.pages]


def build_jobs(settings: Settings) -> list[Job]:
    from comptoir.core.jobs import core_jobs

    jobs = core_jobs(settings)
    for domain in all_domains():
        if domain.jobs is not None:
            jobs.extend(domain.jobs(settings))
    return jobs
