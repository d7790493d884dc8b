"""What the loyalty domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.loyalty import erasure, handlers, jobs, models, pages, routes, service

DOMAIN = Domain(
    name="loyalty",
    customer_export=erasure.export,
    models=models,
    routers=[routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages=pages.PAGES,
    cli="comptoir.loyalty.cli",
    demo="comptoir.loyalty.demo",
)
