"""What the carts domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.carts import handlers, jobs, models, service
from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="carts",
    models=models,
    # The wishlist first: its paths would otherwise read as a cart id (``/v1/carts/{cart_id}``).
    routers=(
        "comptoir.carts.wishlist_routes:router",
        "comptoir.carts.routes:router",
        "comptoir.carts.pages:router",
    ),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=service.customer_section,
    pages="comptoir.carts.pages:PAGES",
    cli="comptoir.carts.cli",
    demo="comptoir.carts.demo",
)
