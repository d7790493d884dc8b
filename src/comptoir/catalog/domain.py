"""What the catalog domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.catalog import asset_routes, handlers, models, pages, routes, search_routes
from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="catalog",
    models=models,
    routers=[routes.router, asset_routes.router, search_routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    pages=[("Catalogue", "/pages/catalog"), ("Image rights expiring", "/pages/catalog/rights")],
    cli="comptoir.catalog.cli",
    import_commands=("catalog",),
    demo="comptoir.catalog.demo",
)
