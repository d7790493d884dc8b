"""What the seller app plugs into the application."""

from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="seller",
    routers=(
        "comptoir.seller.pages:router",
        "comptoir.seller.customers:router",
        "comptoir.seller.products:router",
        "comptoir.seller.products:media",
        "comptoir.seller.cart:router",
        "comptoir.seller.pickups:router",
        "comptoir.seller.returns:router",
        "comptoir.seller.exit_pass:router",
        "comptoir.seller.appointment_booking:router",
        "comptoir.seller.appointments:router",
        "comptoir.seller.live_console:router",
    ),
    pages="comptoir.seller.pages:PAGES",
)
