"""Reference web pages (seller tablet, back office, storefront) on the same services as the API.

Each domain renders its own templates with :class:`Pages`; they extend the kernel's ``base.html``
(HTMX is served from ``/static``, no CDN). Staff sign in to pages with an API key (the same keys,
scopes and channel bindings as the API), kept in an HttpOnly, SameSite=Strict cookie. The language
comes from ``?lang=``, then the ``comptoir_lang`` cookie, then ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from comptoir.core.api import AppState, RequestContext, app_state, problem_response
from comptoir.core.auth import check_scope
from comptoir.core.errors import Problem
from comptoir.core.i18n import format_money, format_number, format_when, negotiate, translations
from comptoir.core.observability import request_id_var

KEY_COOKIE = "comptoir_key"
LANG_COOKIE = "comptoir_lang"
STATIC_VERSION = "htmx-2.0.11.min.js"


def page_language(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if requested in ("fr", "en"):
        return requested
    return negotiate(request.headers.get("accept-language"), app_state(request).settings.default_locale)


def _gettext_functions(package: str, lang: str) -> dict[str, Any]:
    t = translations(package, lang)

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = t.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = t.ngettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


class Pages:
    """The templates of one package (``<package>/templates``), falling back to the kernel's layout."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.env = Environment(
            loader=ChoiceLoader(
                [PackageLoader(package, "templates"), PackageLoader("comptoir.core", "templates")]
            ),
            autoescape=select_autoescape(["html", "xml"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self.env.globals["htmx_src"] = f"/static/{STATIC_VERSION}"

    def render(self, name: str, *, lang: str, **context: Any) -> str:
        helpers: dict[str, Any] = {
            "lang": lang,
            "money": lambda amount, currency: format_money(amount, currency, lang),
            "number": lambda value: format_number(value, lang),
            "when": lambda value, fmt="medium", tz=None: format_when(value, lang, fmt, tz),
            **_gettext_functions(self.package, lang),
        }
        return self.env.get_template(name).render(**helpers, **context)

    def response(
        self, request: Request, name: str, *, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = page_language(request)
        html = self.render(name, lang=lang, request=request, **context)
        response = HTMLResponse(html, status_code=status_code)
        if request.query_params.get("lang") in ("fr", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def require_page(
    area: str | None, access: Literal["read", "write"] = "read"
) -> Callable[..., Awaitable[RequestContext]]:
    """Dependency for pages: the staff member's key from the cookie, with ``<area>:<access>``."""

    async def dependency(request: Request) -> RequestContext:
        state = app_state(request)
        token = request.cookies.get(KEY_COOKIE)
        if not token:
            raise SignInRequired(str(request.url.path))
        try:
            actor = await state.authenticator.authenticate(token, request_id=request_id_var.get())
        except Problem as exc:
            if exc.status == 401:
                raise SignInRequired(str(request.url.path)) from exc
            raise
        if area is not None:
            check_scope(actor, area, access)
        return RequestContext(state, actor)

    return dependency


_pages = Pages("comptoir.core")
router = APIRouter(prefix="/pages", include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/pages/") -> HTMLResponse:
    return _pages.response(request, "sign_in.html", next=_safe_next(next), error=None)


@router.post("/sign-in", response_model=None)
async def sign_in(
    request: Request, api_key: Annotated[str, Form()], next: Annotated[str, Form()] = "/pages/"
) -> HTMLResponse | RedirectResponse:
    state: AppState = app_state(request)
    try:
        await state.authenticator.authenticate(api_key.strip())
    except Problem:
        return _pages.response(
            request, "sign_in.html", status_code=401, next=_safe_next(next), error="invalid"
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        KEY_COOKIE,
        api_key.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
    )
    return response


@router.post("/sign-out")
async def sign_out() -> RedirectResponse:
    response = RedirectResponse("/pages/sign-in", status_code=303)
    response.delete_cookie(KEY_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: Annotated[RequestContext, Depends(require_page(None))]) -> HTMLResponse:
    lang = page_language(request)
    links = [
        (translations(package, lang).gettext(title), path) for title, path, package in ctx.state.page_links
    ]
    return _pages.response(request, "home.html", links=links, actor=ctx.actor)


def _safe_next(url: str) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    return url if url.startswith("/") and not url.startswith("//") else "/pages/"


def install_page_handlers(app: FastAPI) -> None:
    """Pages answer errors with HTML (a sign-in redirect, or an error page); the API keeps problem+json."""

    async def on_sign_in_required(request: Request, exc: Exception) -> RedirectResponse:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(f"/pages/sign-in?next={quote(exc.next_url)}", status_code=303)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        if not request.url.path.startswith("/pages"):
            return problem_response(exc, request)
        return _pages.response(request, "error.html", status_code=exc.status, problem=exc)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(Problem, on_problem)
