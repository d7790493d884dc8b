"""What the backoffice app plugs into the application."""

from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="backoffice",
    routers=(
        "comptoir.backoffice.dashboard:router",
        "comptoir.backoffice.catalogue:router",
        "comptoir.backoffice.store_pages:router",
        "comptoir.backoffice.stock:router",
        "comptoir.backoffice.promotions:router",
        "comptoir.backoffice.order_pages:router",
        "comptoir.backoffice.appointments:router",
        "comptoir.backoffice.messages:router",
        "comptoir.backoffice.surveys:router",
    ),
    pages="comptoir.backoffice.pages:PAGES",
)
