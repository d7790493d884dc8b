"""The plate of raviolis: the domains, in dependency order, and what they plug into the app and worker.

Each domain declares its plug-ins once, as ``DOMAIN`` in ``comptoir/<name>/domain.py`` (see
:class:`comptoir.core.registry.Domain`). Order matters where a domain's demo data needs another's
(stores before inventory, and so on). Importing a declaration imports what serves requests only; the
command-line groups and demo data load when used.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from comptoir.core.events import Bus
from comptoir.core.registry import Domain

if TYPE_CHECKING:
    from comptoir.core.api import CustomerSection
    from comptoir.core.dispatcher import Job
    from comptoir.core.settings import Settings

NAMES: tuple[str, ...] = (
    "stores",
    "catalog",
    "customers",
    "pricing",
    "loyalty",
    "inventory",
    "carts",
    "orders",
    "payments",
    "returns",
    "receipts",
    "appointments",
    "engagement",
    "live",
    # The apps: pages composing the domains above (they store nothing of their own).
    "storefront",
    "seller",
    "backoffice",
)


def declaration(name: str) -> Domain:
    """One domain's declaration, importing only its ``domain`` module."""
    if name not in NAMES:
        raise KeyError(f"no domain named {name!r}")
    declared = importlib.import_module(f"comptoir.{name}.domain").DOMAIN
    if not isinstance(declared, Domain) or declared.name != name:
        raise TypeError(f"comptoir.{name}.domain.DOMAIN must be Domain(name={name!r}, …)")
    return declared


@cache
def all_domains() -> tuple[Domain, ...]:
    """Every domain's declaration, in dependency order."""
    return tuple(declaration(name) for name in NAMES)


def load_models() -> None:
    """Import every table definition so ``Base.metadata`` is complete (migrations, tests)."""
    importlib.import_module("comptoir.core.models")
    all_domains()  # each declaration imports its models module


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


def customer_exports() -> dict[str, CustomerSection]:
    """Each domain's part of the GDPR export: its export function, else its 360° section."""
    out: dict[str, CustomerSection] = {}
    for d in all_domains():
        found = d.customer_export or d.customer_section
        if found is not None:
            out[d.name] = found
    return out


def page_links() -> list[tuple[str, str, str]]:
    return [(title, path, d.package) for d in all_domains() for title, path in d.page_links()]


def build_jobs(settings: Settings) -> list[Job]:
    from comptoir.core.jobs import core_jobs

    jobs = core_jobs(settings)
    for domain in all_domains():
        if domain.jobs is not None:
            jobs.extend(domain.jobs(settings))
    return jobs
