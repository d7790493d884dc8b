"""What the inventory domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.inventory import handlers, jobs, models

DOMAIN = Domain(
    name="inventory",
    models=models,
    routers=("comptoir.inventory.routes:router", "comptoir.inventory.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages="comptoir.inventory.pages:PAGES",
    cli="comptoir.inventory.cli",
    import_commands=("stock", "count"),
    demo="comptoir.inventory.demo",
)
