"""What the returns domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.returns import erasure, handlers, jobs, models, service

DOMAIN = Domain(
    name="returns",
    customer_export=erasure.export,
    models=models,
    routers=("comptoir.returns.routes:router", "comptoir.returns.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages="comptoir.returns.pages:PAGES",
    cli="comptoir.returns.cli",
    demo="comptoir.returns.demo",
)
