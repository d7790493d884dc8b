"""What the live domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.live import erasure, handlers, jobs, models

DOMAIN = Domain(
    name="live",
    models=models,
    routers=("comptoir.live.routes:router", "comptoir.live.sockets:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=erasure.customer_section,
    customer_export=erasure.export,
    cli="comptoir.live.cli",
    demo="comptoir.live.demo",
)
