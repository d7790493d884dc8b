"""The storefront's sign-up, sign-in and sign-out, forgotten password and the e-mailed links, on the
customers domain's accounts (the same operations, throttling and answers as ``/v1/customers``).

Sign-up asks every consent explicitly (boxes unticked) and e-mails a link proving the address; the
account can sign in with its password meanwhile. Sign-up, the sign-in link and the password reset
answer alike whether or not an account uses the address. E-mailed links open a page whose button
uses the token (a mail scanner following the link uses nothing). Every form carries the CSRF token
(checked by the shopper dependency).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.core.errors import Problem
from comptoir.customers import service as customers_service
from comptoir.customers.schemas import (
    ConsentIn,
    LinkRequestIn,
    LinkSignInIn,
    PasswordResetConfirmIn,
    SessionOut,
    SignInIn,
    SignUpIn,
)
from comptoir.storefront.account_common import (
    BAD_LINK,
    FIELD_ERRORS,
    GENERAL_ERROR,
    N_,
    PASSWORD_TO_CONFIRM,
    WRONG_CREDENTIALS,
    problem_message,
    render,
    safe_next,
    say,
)
from comptoir.storefront.rendering import ShopRoute
from comptoir.storefront.session import Shopper, ShopperContext, forget_customer, remember_customer

router = APIRouter(prefix="/shop", include_in_schema=False, route_class=ShopRoute)

# The consents a sign-up asks, each on its own line, unticked: (purpose, channel).
SIGN_UP_CONSENTS = (("marketing", "email"), ("marketing", "sms"), ("e-receipt", "email"))
Text = Annotated[str, Form(max_length=320)]
Secret = Annotated[str, Form(max_length=200)]


def _link_url(shop: ShopperContext, path: str) -> str:
    return shop.ctx.settings.base_url.rstrip("/") + path


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _signed_in(request: Request, session: SessionOut, next_url: str) -> Response:
    response = RedirectResponse(safe_next(next_url), status_code=303)
    remember_customer(response, session.token, request)
    return response


# -- sign in --------------------------------------------------------------------------------------------


def _sign_in_page(
    request: Request,
    shop: ShopperContext,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        shop,
        "storefront/account/sign_in.html",
        status_code=status_code,
        next=safe_next(next_url),
        email=email,
        error=error,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, shop: Shopper, next: str = "/shop/account") -> Response:
    if shop.signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, shop, next)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    shop: Shopper,
    email: Text = "",
    password: Secret = "",
    next: Annotated[str, Form(max_length=2000)] = "/shop/account",
) -> Response:
    try:
        body = SignInIn(email=email.strip(), password=password, anonymous_token=shop.cart_token)
    except ValidationError:
        return _sign_in_page(request, shop, next, email, say(shop.lang, WRONG_CREDENTIALS), 401)
    ctx, client = shop.ctx, _client(request)
    with ctx.uow() as uow:  # the attempt takes its slots before any password is checked
        claim = customers_service.claim_sign_in_attempt(uow, body, ctx.settings, client)
        if claim.retry_after is not None:
            problem = customers_service.sign_in_locked_out(claim)
            return _sign_in_page(request, shop, next, email, problem_message(problem, shop.lang), 429)
        uow.commit()
    with ctx.uow() as uow:
        outcome = customers_service.sign_in(uow, body, ctx.settings, client)
        uow.commit()
    if outcome.session is None:
        return _sign_in_page(request, shop, next, email, say(shop.lang, WRONG_CREDENTIALS), 401)
    return _signed_in(request, outcome.session, next)


@router.post("/sign-out")
def sign_out(shop: Shopper) -> Response:
    """Sign out of this browser (the account page also offers signing out everywhere)."""
    response = RedirectResponse("/shop", status_code=303)
    forget_customer(response)
    return response


# -- sign up --------------------------------------------------------------------------------------------


def _sign_up_page(
    request: Request,
    shop: ShopperContext,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        shop,
        "storefront/account/sign_up.html",
        status_code=status_code,
        values=values,
        consents=SIGN_UP_CONSENTS,
        error=error,
    )


@router.get("/sign-up", response_class=HTMLResponse)
def sign_up_form(request: Request, shop: Shopper) -> Response:
    if shop.signed_in:
        return RedirectResponse("/shop/account", status_code=303)
    return _sign_up_page(request, shop, {})


@router.post("/sign-up", response_model=None)
async def sign_up(request: Request, shop: Shopper) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip()[:320] for k in ("email", "given_name", "family_name")}
    password = str(form.get("password") or "")[:200]
    ticked = set(form.getlist("consent"))
    statements = [
        ConsentIn(
            purpose=purpose,
            channel=channel,
            granted=f"{purpose}:{channel}" in ticked,
            proof={"form": "storefront-sign-up", "asked": "unticked box"},
        )
        for purpose, channel in SIGN_UP_CONSENTS
    ]
    missing = [k for k in ("email", "given_name", "family_name") if not values[k]] + (
        [] if password else ["password"]
    )
    if missing:
        message = say(shop.lang, N_("Fill in every field: e-mail, password, first and last name."))
        return _sign_up_page(request, shop, values, message, 422)
    try:
        body = SignUpIn(
            email=values["email"],
            password=password,
            given_name=values["given_name"],
            family_name=values["family_name"],
            locale=shop.lang,
            consents=statements,
            anonymous_token=shop.cart_token,
            return_url=_link_url(shop, "/shop/sign-in/link"),
        )
    except ValidationError:
        return _sign_up_page(request, shop, values, say(shop.lang, GENERAL_ERROR), 422)
    try:
        with shop.ctx.uow() as uow:
            customers_service.sign_up(uow, body, shop.ctx.settings)
            uow.commit()
    except Problem as problem:
        return _sign_up_page(request, shop, values, problem_message(problem, shop.lang), problem.status)
    return render(
        request, shop, "storefront/account/check_mail.html", email=values["email"], reason="sign-up"
    )


# -- e-mailed links: sign-in link, sign-up confirmation ---------------------------------------------------


@router.get("/sign-in/link", response_class=HTMLResponse)
def link_form(request: Request, shop: Shopper, token: str = "") -> Response:
    """The page an e-mailed link opens; without a token (the "you already have an account" mail links
    here) it is the sign-in form."""
    if not token:
        return RedirectResponse("/shop/sign-in", status_code=303)
    return render(request, shop, "storefront/account/link.html", token=token[:200], error=None)


@router.post("/sign-in/link", response_model=None)
def link_sign_in(
    request: Request,
    shop: Shopper,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Secret = "",
) -> Response:
    try:
        body = LinkSignInIn(token=token, password=password or None, anonymous_token=shop.cart_token)
    except ValidationError:
        error = say(shop.lang, BAD_LINK)
        return render(
            request, shop, "storefront/account/link.html", status_code=401, token=token, error=error
        )
    try:
        with shop.ctx.uow() as uow:
            session = customers_service.sign_in_with_link(uow, body, shop.ctx.settings)
            uow.commit()
    except Problem as problem:
        message = PASSWORD_TO_CONFIRM if "password" in problem.detail else BAD_LINK
        error = say(shop.lang, message)
        return render(
            request,
            shop,
            "storefront/account/link.html",
            status_code=problem.status,
            token=token,
            error=error,
        )
    return _signed_in(request, session, "/shop/account")


@router.post("/sign-in/link/request", response_model=None)
def request_link(request: Request, shop: Shopper, email: Text = "") -> Response:
    """E-mail a one-time sign-in link (nothing tells whether an account uses the address)."""
    return _request_mail(request, shop, email, "link")


# -- forgotten password -----------------------------------------------------------------------------------


@router.get("/forgotten-password", response_class=HTMLResponse)
def forgotten_form(request: Request, shop: Shopper) -> HTMLResponse:
    return render(request, shop, "storefront/account/forgotten.html", email="", error=None)


@router.post("/forgotten-password", response_model=None)
def forgotten(request: Request, shop: Shopper, email: Text = "") -> Response:
    return _request_mail(request, shop, email, "reset")


def _request_mail(request: Request, shop: ShopperContext, email: str, kind: str) -> Response:
    path = "/shop/reset-password" if kind == "reset" else "/shop/sign-in/link"
    try:
        body = LinkRequestIn(email=email.strip(), return_url=_link_url(shop, path), locale=shop.lang)
        with shop.ctx.uow() as uow:
            if kind == "reset":
                customers_service.request_password_reset(uow, body, shop.ctx.settings)
            else:
                customers_service.request_sign_in_link(uow, body, shop.ctx.settings)
            uow.commit()
    except (ValidationError, Problem):
        error = say(shop.lang, FIELD_ERRORS["email"])
        return render(
            request, shop, "storefront/account/forgotten.html", status_code=422, email=email, error=error
        )
    return render(request, shop, "storefront/account/check_mail.html", email=email.strip(), reason=kind)


@router.get("/reset-password", response_class=HTMLResponse)
def reset_form(request: Request, shop: Shopper, token: str = "") -> HTMLResponse:
    return render(request, shop, "storefront/account/reset.html", token=token[:200], error=None)


@router.post("/reset-password", response_model=None)
def reset(
    request: Request,
    shop: Shopper,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Secret = "",
) -> Response:
    def again(message: str, status: int) -> HTMLResponse:
        return render(
            request, shop, "storefront/account/reset.html", status_code=status, token=token, error=message
        )

    try:
        body = PasswordResetConfirmIn(token=token, password=password)
    except ValidationError:
        return again(say(shop.lang, BAD_LINK if len(token) < 10 else GENERAL_ERROR), 422)
    try:
        with shop.ctx.uow() as uow:
            session = customers_service.reset_password(uow, body, shop.ctx.settings)
            uow.commit()
    except Problem as problem:
        if problem.status == 401:
            return again(say(shop.lang, BAD_LINK), 401)
        return again(problem_message(problem, shop.lang), problem.status)
    return _signed_in(request, session, "/shop/account")
