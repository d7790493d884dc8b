"""What the engagement domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.engagement import erasure, handlers, jobs, models, reading

DOMAIN = Domain(
    name="engagement",
    models=models,
    routers=(
        "comptoir.engagement.routes:router",
        "comptoir.engagement.pages:router",
        "comptoir.engagement.routes_devices:router",
        "comptoir.engagement.pages_preferences:router",
        "comptoir.engagement.routes_experiments:router",
        "comptoir.engagement.pages_tracking:router",
        "comptoir.engagement.routes_surveys:router",
        "comptoir.engagement.pages_surveys:router",
        "comptoir.engagement.routes_launches:router",
    ),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=reading.customer_section,
    customer_export=erasure.export,
    cli="comptoir.engagement.cli",
    demo="comptoir.engagement.demo",
)
