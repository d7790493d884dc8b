"""What the storefront app plugs into the application."""

from comptoir.core.registry import Domain

DOMAIN = Domain(
    name="storefront",
    routers=(
        "comptoir.storefront.browse:router",
        "comptoir.storefront.cart_pages:router",
        "comptoir.storefront.checkout_pages:router",
        "comptoir.storefront.account:router",
        "comptoir.storefront.account_orders:router",
        "comptoir.storefront.account_profile:router",
        "comptoir.storefront.account_appointments:router",
        "comptoir.storefront.appointment_booking:router",
        "comptoir.storefront.scan_go:router",
        "comptoir.storefront.live_pages:router",
    ),
    pages="comptoir.storefront.pages:PAGES",
)
