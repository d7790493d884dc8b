"""What the appointments domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.appointments import erasure, handlers, jobs, models, reading
from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="appointments",
    models=models,
    routers=("comptoir.appointments.routes:router",),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=reading.customer_section,
    customer_export=erasure.export,
    cli="comptoir.appointments.cli",
    import_commands=("advisors",),
    demo="comptoir.appointments.demo",
)
