"""What the payments domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.payments import erasure, handlers, jobs, models, service

DOMAIN = Domain(
    name="payments",
    customer_export=erasure.export,
    customer_section=service.customer_section,
    models=models,
    routers=("comptoir.payments.routes:router", "comptoir.payments.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages="comptoir.payments.pages:PAGES",
    cli="comptoir.payments.cli",
    demo="comptoir.payments.demo",
)
