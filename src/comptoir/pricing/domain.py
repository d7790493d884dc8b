"""What the pricing domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.pricing import handlers, jobs, models, service

DOMAIN = Domain(
    name="pricing",
    models=models,
    routers=("comptoir.pricing.routes:router", "comptoir.pricing.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages="comptoir.pricing.pages:PAGES",
    cli="comptoir.pricing.cli",
    import_commands=("prices",),
    demo="comptoir.pricing.demo",
)
