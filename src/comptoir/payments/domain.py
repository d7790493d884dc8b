"""What the payments domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.payments import erasure, handlers, jobs, models, pages, routes

DOMAIN = Domain(
    name="payments",
    customer_export=erasure.export,
    models=models,
    routers=[routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages=pages.PAGES,
    cli="comptoir.payments.cli",
    demo="comptoir.payments.demo",
)
