"""Who is shopping: the storefront's cookies and the request context its pages act with.

The storefront acts as the web channel's publishable key would: anonymous shoppers are ``public``
principals on the ``web`` channel holding the shopping scopes; a shopper signed in with the customers
domain's session token (cookie ``comptoir_shopper``) is a ``customer`` principal, reaching their own
data only (the same ownership checks as the API). The anonymous cart's token rides in ``comptoir_cart``.
Both cookies are HttpOnly, SameSite=Lax (a link from an e-mail or a search engine arrives signed in) and
Secure on https. Forms carry the double-submit CSRF token of :class:`comptoir.core.web.PublicPage`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response

from comptoir.core import tokens
from comptoir.core.access import SHOPPING_SCOPES, policy
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE, AppState, PolicyDependency, RequestContext
from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.observability import request_id_var
from comptoir.core.web import PublicPage, page_language

SHOPPER_COOKIE = "comptoir_shopper"
CART_COOKIE = "comptoir_cart"
CHANNEL = "web"
SESSION_MAX_AGE = 30 * 86400  # the cookie outlives no token: an expired token reads as signed out
CART_MAX_AGE = 90 * 86400
# The web channel's shopping scopes, as its publishable key holds them.
WEB_SCOPES = frozenset(SHOPPING_SCOPES)


@dataclass(frozen=True, slots=True)
class ShopperContext:
    """A storefront request: its context (``public`` or the signed-in ``customer``), cart and language."""

    ctx: RequestContext
    cart_token: str | None
    lang: str

    @property
    def customer_id(self) -> str | None:
        return self.ctx.actor.customer_id

    @property
    def signed_in(self) -> bool:
        return self.ctx.actor.kind == "customer"


class ShopperSignInRequired(Problem):
    """A page for signed-in shoppers opened without a session: 303 to the storefront's sign-in page."""

    status = 303
    slug = "sign-in-required"
    title = "Sign in"

    def __init__(self, next_url: str) -> None:
        location = f"/shop/sign-in?next={quote(next_url, safe='/')}"
        super().__init__("Sign in to see this page.", headers={"Location": location})
        self.location = location


_csrf = PublicPage()
# Whether the storefront request being served came over https (set by the dependency, read by the
# cookie setters, which are given only the response).
_https: ContextVar[bool] = ContextVar("storefront_https", default=False)


async def _customer_id(state: AppState, token: str) -> str | None:
    """The customer a session token names, if it is authentic, unexpired and its session not ended."""
    claims: dict[str, Any] | None = tokens.verify(state.settings.secret_key, CUSTOMER_TOKEN_PURPOSE, token)
    if claims is None or "sub" not in claims:
        return None
    check = state.customer_session_check
    if check is not None and not await check(state.db, claims):
        return None
    return str(claims["sub"])


class ShopperPolicy(PolicyDependency):
    """The storefront pages' dependency: reads the shopper's cookies, checks the CSRF token of a form
    post (double submit, as :class:`PublicPage`) and, for ``signed_in`` pages, sends anyone not signed
    in to the sign-in page."""

    def __init__(self, *, signed_in: bool) -> None:
        super().__init__(
            policy(None, "read", "customer") if signed_in else policy(None, "read", "public", "customer")
        )
        self.signed_in = signed_in

    async def __call__(self, request: Request) -> ShopperContext:  # type: ignore[override]
        public = await _csrf(request)  # CSRF check on posts; sets request.state.csrf for csrf_field()
        state = public.state
        _https.set(request.url.scheme == "https")
        token = request.cookies.get(SHOPPER_COOKIE)
        customer_id = await _customer_id(state, token) if token else None
        request_id = request_id_var.get()
        if customer_id is not None:
            actor = Actor(
                kind="customer",
                channel=CHANNEL,
                scopes=WEB_SCOPES,
                customer_id=customer_id,
                request_id=request_id,
            )
        else:
            if self.signed_in:
                path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise ShopperSignInRequired(path)
            actor = Actor(kind="public", channel=CHANNEL, scopes=WEB_SCOPES, request_id=request_id)
        self.policy.admits(actor)
        return ShopperContext(
            ctx=RequestContext(state, actor),
            cart_token=request.cookies.get(CART_COOKIE) or None,
            lang=page_language(request),
        )


shopper = ShopperPolicy(signed_in=False)
signed_in_shopper = ShopperPolicy(signed_in=True)
Shopper = Annotated[ShopperContext, Depends(shopper)]
SignedInShopper = Annotated[ShopperContext, Depends(signed_in_shopper)]


def _secure(request: Request | None) -> bool:
    """Secure cookies when the page was served over https (the current storefront request's scheme)."""
    return request.url.scheme == "https" if request is not None else _https.get()


def remember_customer(response: Response, session_token: str, request: Request | None = None) -> None:
    """Keep the customer's session token (from the customers domain's sign-in) in the shopper cookie."""
    response.set_cookie(
        SHOPPER_COOKIE,
        session_token,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def forget_customer(response: Response) -> None:
    """Sign the shopper out of this browser (the customers domain ends the session itself)."""
    response.delete_cookie(SHOPPER_COOKIE, path="/", httponly=True, samesite="lax")


def remember_cart(response: Response, cart_token: str, request: Request | None = None) -> None:
    """Keep an anonymous cart's token, so the cart survives until the shopper signs in (then merged)."""
    response.set_cookie(
        CART_COOKIE,
        cart_token,
        max_age=CART_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def forget_cart(response: Response) -> None:
    response.delete_cookie(CART_COOKIE, path="/", httponly=True, samesite="lax")
