"""The storefront's page rendering: its templates, the catalogue locale of the page's language, and the
route class that answers every problem with a page in the shopper's language (never problem+json).

A storefront route is declared on a router made with ``route_class=ShopRoute``: a problem raised by a
service or a dependency (a product not published, a form from another site, a session that ended)
becomes an error page with the right status; ``ShopperSignInRequired`` becomes its 303 redirect, and
a request the route cannot read (a missing form field, a quantity that is not a number) a 422 page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from comptoir.core.errors import Problem
from comptoir.core.i18n import translations
from comptoir.core.web import Pages, page_language
from comptoir.storefront.session import ShopperSignInRequired

PACKAGE = "comptoir.storefront"
pages = Pages(PACKAGE)
# The catalogue's content locale for each page language.
CATALOG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# htmx swaps 2xx answers only by default: a fragment answered 422 (a postcode we do not know, a coupon
# refused) carries its error message, so it is swapped in too.
HTMX_CONFIG = (
    '{"responseHandling": [{"code": "204", "swap": false}, {"code": "[23]..", "swap": true},'
    ' {"code": "422", "swap": true, "error": false}, {"code": "[45]..", "swap": false, "error": true}]}'
)
pages.globals["htmx_config"] = HTMX_CONFIG


def catalog_locale(lang: str) -> str:
    return CATALOG_LOCALES.get(lang, "fr_FR")


def gettext(request: Request) -> Callable[[str], str]:
    """The storefront's translation function in the page's language (for messages made in Python)."""
    return translations(PACKAGE, page_language(request)).gettext


def problem_message(request: Request, problem: Problem) -> str:
    """What to tell a shopper about a refusal, in their language (a service's detail is for developers)."""
    _ = gettext(request)
    by_slug = {
        "csrf": _("This form has expired or comes from another site: reload the page and try again."),
        "out-of-stock": _("Not enough stock is left for one of the products: change the quantity."),
        "payment-declined": _("Your card was declined: try another card."),
        "coupon-refused": _("This code cannot be used on this cart."),
        "cart-closed": _("This cart has already been ordered: start a new one."),
        "cart-changed": _("Your cart changed in the meantime: check it and try again."),
        "wishlist-full": _("Your wishlist is full: remove a product first."),
    }
    if problem.slug in by_slug:
        return by_slug[problem.slug]
    by_status = {
        401: _("Sign in to continue."),
        403: _("You may not do this."),
        404: _("This page does not exist, or no longer does."),
        409: _("This changed in the meantime: reload the page and try again."),
        412: _("This changed in the meantime: reload the page and try again."),
        422: _("Something you entered is not valid: check it and try again."),
        429: _("Too many attempts: wait a moment and try again."),
    }
    return by_status.get(problem.status, _("Something went wrong: try again in a moment."))


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return pages.response(
        request, "storefront/error.html", status_code=status, message=message, status=status
    )


def problem_page(request: Request, problem: Problem) -> Response:
    if isinstance(problem, ShopperSignInRequired):
        return RedirectResponse(problem.location, status_code=303)
    status = problem.status if 400 <= problem.status < 600 else 400
    return error_page(request, status, problem_message(request, problem))


class ShopRoute(APIRoute):
    """A storefront route: problems become pages (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def shop_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Problem as problem:
                return problem_page(request, problem)
            except RequestValidationError:
                _ = gettext(request)
                return error_page(
                    request, 422, _("Something you entered is not valid: check it and try again.")
                )

        return shop_handler
