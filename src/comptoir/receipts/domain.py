"""What the receipts domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.receipts import erasure, handlers, jobs, models, pages, routes, service

DOMAIN = Domain(
    name="receipts",
    customer_export=erasure.export,
    customer_section=service.customer_section,
    models=models,
    routers=[routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages=pages.PAGES,
    cli="comptoir.receipts.cli",
    demo="comptoir.receipts.demo",
)
