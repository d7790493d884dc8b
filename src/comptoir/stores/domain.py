"""What the stores domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.stores import handlers, models

DOMAIN = Domain(
    name="stores",
    models=models,
    routers=("comptoir.stores.routes:router", "comptoir.stores.pages:router"),
    register_handlers=handlers.register_handlers,
    pages=[("Stores", "/pages/stores")],
    cli="comptoir.stores.cli",
    import_commands=("stores",),
    demo="comptoir.stores.demo",
)
