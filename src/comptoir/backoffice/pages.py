"""The back office (``/back-office``): one navigation over the dashboard, the catalogue and its assets,
stores and hours, stock and counts, promotions and loyalty, and orders with their detail."""

from fastapi import APIRouter

from comptoir.backoffice import catalogue, dashboard, order_pages, promotions, stock, store_pages

router = APIRouter(include_in_schema=False)
for part in (dashboard, catalogue, store_pages, stock, promotions, order_pages):
    router.include_router(part.router)

PAGES: list[tuple[str, str]] = [("Back office", "/back-office")]
