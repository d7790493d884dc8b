"""The shopper's session: cookies read into a ``public`` or ``customer`` context, sign-in redirects,
the double-submit CSRF token on form posts, and the cookies' flags."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from comptoir.core import tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.settings import Settings
from comptoir.storefront.session import (
    CART_COOKIE,
    SHOPPER_COOKIE,
    Shopper,
    ShopperContext,
    SignedInShopper,
    forget_customer,
    remember_cart,
    remember_customer,
)


def _probe_app(app: FastAPI) -> FastAPI:
    router = APIRouter(prefix="/shop/_probe")

    def describe(shop: ShopperContext) -> dict[str, object]:
        actor = shop.ctx.actor
        return {
            "kind": actor.kind,
            "channel": actor.channel,
            "customer_id": shop.customer_id,
            "cart": shop.cart_token,
            "lang": shop.lang,
        }

    @router.get("/anyone")
    def anyone(shop: Shopper) -> JSONResponse:
        return JSONResponse(describe(shop))

    @router.get("/mine")
    def mine(shop: SignedInShopper) -> JSONResponse:
        return JSONResponse(describe(shop))

    @router.post("/form")
    def form(shop: Shopper, value: str = Form("")) -> JSONResponse:
        return JSONResponse({"value": value})

    @router.post("/cookies")
    def cookies(request: Request, shop: Shopper) -> Response:
        response = JSONResponse({})
        remember_customer(response, "tok")
        remember_cart(response, "cart")
        return response

    @router.post("/sign-out")
    def sign_out(shop: Shopper) -> Response:
        response = JSONResponse({})
        forget_customer(response)
        return response

    app.include_router(router)
    return app


def _token(settings: Settings, customer_id: str, generation: int = 0) -> str:
    return tokens.sign(
        settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id, "g": generation}, 3600
    )


def test_an_anonymous_shopper_acts_as_the_public_web_channel(app, client) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    client.cookies.set(CART_COOKIE, "cart-token")
    answer = client.get("/shop/_probe/anyone?lang=en").json()
    assert answer == {
        "kind": "public",
        "channel": "web",
        "customer_id": None,
        "cart": "cart-token",
        "lang": "en",
    }


def test_a_signed_in_shopper_is_the_customer(app, client, settings) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    client.cookies.set(SHOPPER_COOKIE, _token(settings, "cus_1"))
    answer = client.get("/shop/_probe/mine?lang=fr").json()
    assert (answer["kind"], answer["customer_id"], answer["lang"]) == ("customer", "cus_1", "fr")


def test_a_forged_or_ended_session_reads_as_signed_out(app, client, settings) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    client.cookies.set(SHOPPER_COOKIE, _token(settings, "cus_1") + "x")
    assert client.get("/shop/_probe/anyone").json()["kind"] == "public"
    client.cookies.set(SHOPPER_COOKIE, _token(settings, "cus_1", generation=3))
    assert client.get("/shop/_probe/anyone").json()["kind"] == "public"


def test_a_signed_in_page_sends_others_to_the_sign_in_page(app, client) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    answer = client.get("/shop/_probe/mine?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/shop/sign-in?next=/shop/_probe/mine%3Fx%3D1"


def test_form_posts_need_the_double_submit_token(app, client) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    client.get("/shop")  # a page sets the form token's cookie
    token = client.cookies.get("comptoir_csrf")
    assert token
    assert client.post("/shop/_probe/form", data={"value": "a"}).status_code == 403
    assert client.post("/shop/_probe/form", data={"value": "a", "csrf_token": "forged"}).status_code == 403
    answer = client.post("/shop/_probe/form", data={"value": "a", "csrf_token": token})
    assert answer.json() == {"value": "a"}


def test_cookies_are_http_only_and_lax(app, client) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    client.get("/shop")  # a page sets the form token's cookie
    token = client.cookies.get("comptoir_csrf")
    answer = client.post("/shop/_probe/cookies", headers={"X-CSRF-Token": token})
    set_cookies = answer.headers.get_list("set-cookie")
    for name in (SHOPPER_COOKIE, CART_COOKIE):
        cookie = next(c for c in set_cookies if c.startswith(name + "="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    answer = client.post("/shop/_probe/sign-out", headers={"X-CSRF-Token": token})
    assert 'comptoir_shopper=""' in answer.headers["set-cookie"]


def test_cookies_are_secure_on_https(app) -> None:  # type: ignore[no-untyped-def]
    _probe_app(app)
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/shop")
        token = client.cookies.get("comptoir_csrf")
        answer = client.post("/shop/_probe/cookies", headers={"X-CSRF-Token": token})
        cookies = answer.headers.get_list("set-cookie")
        assert all("Secure" in c for c in cookies if c.startswith(("comptoir_shopper=", "comptoir_cart=")))
