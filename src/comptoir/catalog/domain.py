"""What the catalog domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.catalog import handlers, models
from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="catalog",
    models=models,
    routers=(
        "comptoir.catalog.routes:router",
        "comptoir.catalog.asset_routes:router",
        "comptoir.catalog.search_routes:router",
        "comptoir.catalog.pages:router",
    ),
    register_handlers=handlers.register_handlers,
    pages=[("Catalogue", "/pages/catalog"), ("Image rights expiring", "/pages/catalog/rights")],
    cli="comptoir.catalog.cli",
    import_commands=("catalog",),
    demo="comptoir.catalog.demo",
)
