"""What the pricing domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.pricing import handlers, jobs, models, pages, routes, service

DOMAIN = Domain(
    name="pricing",
    models=models,
    routers=[routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages=pages.PAGES,
    cli="comptoir.pricing.cli",
    import_commands=("prices",),
    demo="comptoir.pricing.demo",
)
