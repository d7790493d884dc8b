"""What the receipts domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.receipts import erasure, handlers, jobs, models, service

DOMAIN = Domain(
    name="receipts",
    customer_export=erasure.export,
    customer_section=service.customer_section,
    models=models,
    routers=("comptoir.receipts.routes:router", "comptoir.receipts.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages="comptoir.receipts.pages:PAGES",
    cli="comptoir.receipts.cli",
    demo="comptoir.receipts.demo",
)
