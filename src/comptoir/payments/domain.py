"""What the payments domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.payments import handlers, jobs, models

DOMAIN = Domain(
    name="payments",
    models=models,
    routers=("comptoir.payments.routes:router", "comptoir.payments.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    pages="comptoir.payments.pages:PAGES",
    cli="comptoir.payments.cli",
    demo="comptoir.payments.demo",
)
