"""What the backoffice app plugs into the application."""

from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="backoffice",
    routers=("comptoir.backoffice.pages:router",),
    pages="comptoir.backoffice.pages:PAGES",
)
