"""The back office (``/back-office``): one navigation over the dashboard, the catalogue and its assets,
stores and hours, stock and counts, promotions and loyalty, and orders with their detail. Each topic
module declares its routes and the domain lists those routers (``backoffice/domain.py``)."""

PAGES: list[tuple[str, str]] = [("Back office", "/back-office")]
