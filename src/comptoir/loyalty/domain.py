"""What the loyalty domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.loyalty import erasure, handlers, jobs, models, service

DOMAIN = Domain(
    name="loyalty",
    customer_export=erasure.export,
    models=models,
    routers=("comptoir.loyalty.routes:router", "comptoir.loyalty.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages="comptoir.loyalty.pages:PAGES",
    cli="comptoir.loyalty.cli",
    demo="comptoir.loyalty.demo",
)
