"""What the orders domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.orders import erasure, handlers, jobs, models, pages, routes, service

DOMAIN = Domain(
    name="orders",
    customer_export=erasure.export,
    models=models,
    routers=[routes.router, pages.router],
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages=pages.PAGES,
    cli="comptoir.orders.cli",
    demo="comptoir.orders.demo",
)
