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
    # <domain:pricing>
    from comptoir.pricing import cli as pricing_cli
    from comptoir.pricing import demo as pricing_demo
    from comptoir.pricing import handlers as pricing_handlers
    from comptoir.pricing import jobs as pricing_jobs
    from comptoir.pricing import models as pricing_models
    from comptoir.pricing import pages as pricing_pages
    from comptoir.pricing import routes as pricing_routes
    from comptoir.pricing import service as pricing_service

    domains.append(
        Domain(
            name="pricing",
            models=pricing_models,
            routers=[pricing_routes.router, pricing_pages.router],
            register_handlers=pricing_handlers.register_handlers,
            jobs=pricing_jobs.jobs,
            load_demo=pricing_demo.load_demo,
            register_cli=pricing_cli.register_cli,
            customer_section=pricing_service.customer_section,
            pages=pricing_pages.PAGES,
        )
    )
    # <domain:loyalty>
    from comptoir.loyalty import cli as loyalty_cli
    from comptoir.loyalty import demo as loyalty_demo
    from comptoir.loyalty import handlers as loyalty_handlers
    from comptoir.loyalty import jobs as loyalty_jobs
    from comptoir.loyalty import models as loyalty_models
    from comptoir.loyalty import pages as loyalty_pages
    from comptoir.loyalty import routes as loyalty_routes
    from comptoir.loyalty import service as loyalty_service

    domains.append(
        Domain(
            name="loyalty",
            models=loyalty_models,
            routers=[loyalty_routes.router, loyalty_pages.router],
            register_handlers=loyalty_handlers.register_handlers,
            jobs=loyalty_jobs.jobs,
            load_demo=loyalty_demo.load_demo,
            register_cli=loyalty_cli.register_cli,
            customer_section=loyalty_service.customer_section,
            pages=loyalty_pages.PAGES,
        )
    )
    # <domain:inventory>
    from comptoir.inventory import cli as inventory_cli
    from comptoir.inventory import demo as inventory_demo
    from comptoir.inventory import handlers as inventory_handlers
    from comptoir.inventory import jobs as inventory_jobs
    from comptoir.inventory import models as inventory_models
    from comptoir.inventory import pages as inventory_pages
    from comptoir.inventory import routes as inventory_routes

    domains.append(
        Domain(
            name="inventory",
            models=inventory_models,
            routers=[inventory_routes.router, inventory_pages.router],
            register_handlers=inventory_handlers.register_handlers,
            jobs=inventory_jobs.jobs,
            load_demo=inventory_demo.load_demo,
            register_cli=inventory_cli.register_cli,
            pages=inventory_pages.PAGES,
        )
    )
    # <domain:carts>
    from comptoir.carts import cli as carts_cli
    from comptoir.carts import demo as carts_demo
    from comptoir.carts import handlers as carts_handlers
    from comptoir.carts import jobs as carts_jobs
    from comptoir.carts import models as carts_models
    from comptoir.carts import pages as carts_pages
    from comptoir.carts import routes as carts_routes
    from comptoir.carts import service as carts_service

    domains.append(
        Domain(
            name="carts",
            models=carts_models,
            routers=[carts_routes.router, carts_pages.router],
            register_handlers=carts_handlers.register_handlers,
            jobs=carts_jobs.jobs,
            load_demo=carts_demo.load_demo,
            register_cli=carts_cli.register_cli,
            customer_section=carts_service.customer_section,
            pages=carts_pages.PAGES,
        )
    )
    # <domain:orders>
    from comptoir.orders import cli as orders_cli
    from comptoir.orders import demo as orders_demo
    from comptoir.orders import handlers as orders_handlers
    from comptoir.orders import jobs as orders_jobs
    from comptoir.orders import models as orders_models
    from comptoir.orders import pages as orders_pages
    from comptoir.orders import routes as orders_routes
    from comptoir.orders import service as orders_service

    domains.append(
        Domain(
            name="orders",
            models=orders_models,
            routers=[orders_routes.router, orders_pages.router],
            register_handlers=orders_handlers.register_handlers,
            jobs=orders_jobs.jobs,
            load_demo=orders_demo.load_demo,
            register_cli=orders_cli.register_cli,
            customer_section=orders_service.customer_section,
            pages=orders_pages.PAGES,
        )
    )
    # <domain:payments>
    from comptoir.payments import cli as payments_cli
    from comptoir.payments import demo as payments_demo
    from comptoir.payments import handlers as payments_handlers
    from comptoir.payments import jobs as payments_jobs
    from comptoir.payments import models as payments_models
    from comptoir.payments import pages as payments_pages
    from comptoir.payments import routes as payments_routes
    from comptoir.payments import service as payments_service

    domains.append(
        Domain(
            name="payments",
            models=payments_models,
            routers=[payments_routes.router, payments_pages.router],
            register_handlers=payments_handlers.register_handlers,
            jobs=payments_jobs.jobs,
            load_demo=payments_demo.load_demo,
            register_cli=payments_cli.register_cli,
            customer_section=payments_service.customer_section,
            pages=payments_pages.PAGES,
        )
    )
    # <domain:returns>
    from comptoir.returns import cli as returns_cli
    from comptoir.returns import demo as returns_demo
    from comptoir.returns import handlers as returns_handlers
    from comptoir.returns import jobs as returns_jobs
    from comptoir.returns import models as returns_models
    from comptoir.returns import pages as returns_pages
    from comptoir.returns import routes as returns_routes
    from comptoir.returns import service as returns_service

    domains.append(
        Domain(
            name="returns",
            models=returns_models,
            routers=[returns_routes.router, returns_pages.router],
            register_handlers=returns_handlers.register_handlers,
            jobs=returns_jobs.jobs,
            load_demo=returns_demo.load_demo,
            register_cli=returns_cli.register_cli,
            customer_section=returns_service.customer_section,
            pages=returns_pages.PAGES,
        )
    )
    # <domain:receipts>
    from comptoir.receipts import cli as receipts_cli
    from comptoir.receipts import demo as receipts_demo
    from comptoir.receipts import handlers as receipts_handlers
    from comptoir.receipts import jobs as receipts_jobs
    from comptoir.receipts import models as receipts_models
    from comptoir.receipts import pages as receipts_pages
    from comptoir.receipts import routes as receipts_routes
    from comptoir.receipts import service as receipts_service

    domains.append(
        Domain(
            name="receipts",
            models=receipts_models,
            routers=[receipts_routes.router, receipts_pages.router],
            register_handlers=receipts_handlers.register_handlers,
            jobs=receipts_jobs.jobs,
            load_demo=receipts_demo.load_demo,
            register_cli=receipts_cli.register_cli,
            customer_section=receipts_service.customer_section,
            pages=receipts_pages.PAGES,
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
