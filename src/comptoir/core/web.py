"""Reference web pages (seller tablet, back office, storefront) on the same services as the API.

Each domain renders its own templates with :class:`Pages`; they extend the kernel's ``base.html``
(HTMX is served from ``/static``, no CDN). Employees sign in as themselves (e-mail, password, TOTP code
when enabled); the session token is kept in an HttpOnly, SameSite=Strict cookie, and every form carries
a CSRF token bound to the session (``csrf_field()`` in templates; HTMX sends it as ``X-CSRF-Token``). The language
comes from ``?lang=``, then the ``comptoir_lang`` cookie, then ``Accept-Language``.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
import threading
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError

from comptoir.core import staff
from comptoir.core.access import Role, policy
from comptoir.core.api import AppState, PolicyDependency, RequestContext, app_state, problem_response
from comptoir.core.context import Actor
from comptoir.core.errors import Forbidden, Problem
from comptoir.core.i18n import format_money, format_number, format_when, negotiate, translations
from comptoir.core.observability import request_id_var
from comptoir.core.uow import UnitOfWork

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

STAFF_COOKIE = "comptoir_staff"
ANON_CSRF_COOKIE = "comptoir_csrf"
LANG_COOKIE = "comptoir_lang"
STATIC_VERSION = "htmx-2.0.11.min.js"
STATIC_DIR = Path(__file__).parent / "static"
# The catalogue's image renditions and their longest side (``comptoir.catalog.policies.RENDITIONS``;
# a test keeps the two equal): an image's srcset offers each one.
RENDITION_WIDTHS = {"thumbnail": 160, "listing": 480, "zoom": 1600}
APP_PATHS = ("/seller", "/shop", "/back-office")
APP_CLASSES = {
    "comptoir.seller": "seller",
    "comptoir.storefront": "shop",
    "comptoir.backoffice": "back-office",
}


@lru_cache(maxsize=256)
def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: a versioned address that browsers may keep for a year."""
    try:
        digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    except OSError:
        return f"/static/{quote(name)}"
    return f"/static/{quote(name)}?v={digest}"


def srcset(url: str) -> str:
    """The ``srcset`` of a catalogue image given one rendition's address (``…/<asset id>/listing``): each
    rendition with its width. Empty for an original (its renditions may not exist yet)."""
    path, _, query = url.partition("?")
    base, _, rendition = path.rpartition("/")
    if rendition not in RENDITION_WIDTHS or not base:
        return ""
    suffix = f"?{query}" if query else ""
    return ", ".join(f"{base}/{name}{suffix} {width}w" for name, width in RENDITION_WIDTHS.items())


def html_attrs(attributes: dict[str, Any]) -> Markup:
    """Extra HTML attributes of a macro: ``hx_get`` → ``hx-get``, ``True`` → a bare attribute,
    ``False``/``None`` left out; values escaped."""
    out = []
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        out.append(Markup(" %s") % name if value is True else Markup(' %s="%s"') % (name, value))
    return Markup("").join(out)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _language_url(request: Request | None, lang: str) -> str:
    """The current page in another language: same path and query, ``lang`` replaced."""
    if request is None:
        return f"?lang={lang}"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


def page_language(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if requested in ("fr", "en"):
        return requested
    return negotiate(request.headers.get("accept-language"), app_state(request).settings.default_locale)


def _gettext_functions(package: str, lang: str) -> dict[str, Any]:
    """The package's catalogue, then the kernel's (the layout and ``ui.html`` macros' messages)."""
    from jinja2 import pass_context

    t = translations(package, lang)
    kernel = translations(__package__ or "comptoir.core", lang)

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = t.gettext(message)
        if text == message:
            text = kernel.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = t.ngettext(singular, plural, num)
        if text in (singular, plural):
            text = kernel.ngettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


class Pages:
    """The templates of one package (``<package>/templates``), falling back to the kernel's layout.

    The Jinja2 environment is made on the first render (jinja2 is not loaded before): set the
    package's template globals in ``globals`` when the module is imported."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.globals: dict[str, Any] = {
            "htmx_src": static_url(STATIC_VERSION),
            "static_url": static_url,
            "srcset": srcset,
            "html_attrs": html_attrs,
            "app_class": APP_CLASSES.get(package, "staff"),
        }
        self._env: Environment | None = None
        self._lock = threading.Lock()

    @property
    def env(self) -> Environment:
        if self._env is None:
            with self._lock:
                if self._env is None:
                    self._env = self._environment()
        return self._env

    def _environment(self) -> Environment:
        from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

        env = Environment(
            loader=ChoiceLoader(
                [PackageLoader(self.package, "templates"), PackageLoader("comptoir.core", "templates")]
            ),
            autoescape=select_autoescape(["html", "xml"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}
        env.globals.update(self.globals)
        self.globals = env.globals  # later additions reach the templates too
        return env

    def render(self, name: str, *, lang: str, **context: Any) -> str:
        helpers = self.helpers(lang, context.get("request"))
        return self.env.get_template(name).render({**helpers, **context})

    def helpers(self, lang: str, request: Request | None = None) -> dict[str, Any]:
        """What every template sees besides the globals: the language, formatting, CSRF, translations."""
        token = getattr(request.state, "csrf", "") if request is not None else ""
        seen: set[str] = set()

        def once(key: str) -> bool:
            """True the first time in a page: a macro adds its script tag once."""
            first = key not in seen
            seen.add(key)
            return first

        return {
            "csrf_token": token,
            "once": once,
            "lang_url": lambda to: _language_url(request, to),
            "current_path": request.url.path if request is not None else "",
            "staff_name": getattr(request.state, "staff_name", None) if request is not None else None,
            "csrf_field": lambda: Markup('<input type="hidden" name="csrf_token" value="%s">') % token,
            "lang": lang,
            "money": lambda amount, currency: format_money(amount, currency, lang),
            "number": lambda value: format_number(value, lang),
            "when": lambda value, fmt="medium", tz=None: format_when(value, lang, fmt, tz),
            **_gettext_functions(self.package, lang),
        }

    def response(
        self, request: Request, name: str, *, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = page_language(request)
        html = self.render(name, lang=lang, request=request, **context)
        response = HTMLResponse(html, status_code=status_code)
        anonymous_csrf = getattr(request.state, "set_csrf_cookie", None)
        if anonymous_csrf:
            response.set_cookie(
                ANON_CSRF_COOKIE, anonymous_csrf, httponly=True, samesite="strict", max_age=3600
            )
        if request.query_params.get("lang") in ("fr", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def csrf_token(secret: str, session_id: str) -> str:
    """The form token of one staff session: forms posted from another site cannot know it."""
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


class PagePolicy(PolicyDependency):
    """A page's access policy: signed-in employees only (cookie session), under the same roles and
    scopes as the API, and a CSRF token on every request that changes something."""

    async def __call__(self, request: Request) -> RequestContext:
        state = app_state(request)
        token = request.cookies.get(STAFF_COOKIE)
        if not token:
            raise SignInRequired(str(request.url.path))
        try:
            found = await staff.signed_in(state.db, token, request_id=request_id_var.get())
        except Problem as exc:
            if exc.status == 401:
                raise SignInRequired(str(request.url.path)) from exc
            raise
        actor = found.actor
        request.state.staff_name = found.name
        session_id = staff.session_id_of(token) or ""
        expected = csrf_token(state.settings.secret_key, session_id)
        request.state.csrf = expected
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await _check_csrf(request, expected)
        self.policy.admits(actor)
        return RequestContext(state, actor)


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("csrf_token")
            sent = value if isinstance(value, str) else None
    if sent is None or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("This form has expired or comes from another site: reload the page.", slug="csrf")


class PublicPage(PolicyDependency):
    """A page anyone may open (a signed link, the sign-in form): no credentials are read. Its forms carry
    a double-submit CSRF token (a cookie and the same value in the form), there being no session."""

    def __init__(self) -> None:
        super().__init__(policy(None, "read", "public"))

    async def __call__(self, request: Request) -> RequestContext:
        token = request.cookies.get(ANON_CSRF_COOKIE)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await _check_csrf(request, token or "")
        elif not token:
            token = secrets.token_urlsafe(24)
            request.state.set_csrf_cookie = token
        request.state.csrf = token
        return RequestContext(app_state(request), Actor(kind="public", request_id=request_id_var.get()))


Public = Annotated[RequestContext, Depends(PublicPage())]


def require_page(
    area: str | None,
    access: Literal["read", "write"] = "read",
    *,
    roles: Iterable[Role] | None = None,
    retailer_wide: bool = False,
) -> PagePolicy:
    """Dependency for pages: a signed-in employee whose role holds ``<area>:<access>`` (and is one of
    ``roles``; and bound to no shop when ``retailer_wide``), as the matching API route requires."""
    return PagePolicy(policy(area, access, "staff", roles=roles, retailer_wide=retailer_wide))


_pages = Pages("comptoir.core")
router = APIRouter(prefix="/pages", include_in_schema=False)
Employee = Annotated[RequestContext, Depends(require_page(None))]


def _sign_in_page(request: Request, next: str, error: str | None, status_code: int = 200) -> HTMLResponse:
    """The sign-in form with a double-submit CSRF token (no session yet: a cookie and the same value)."""
    token = request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf = token
    response = _pages.response(
        request, "sign_in.html", status_code=status_code, next=_safe_next(next), error=error
    )
    response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, _: Public, next: str = "/pages/") -> HTMLResponse:
    return _sign_in_page(request, next, None)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    _: Public,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    totp_code: Annotated[str, Form(max_length=6)] = "",
    next: Annotated[str, Form()] = "/pages/",
) -> HTMLResponse | RedirectResponse:
    state: AppState = app_state(request)
    try:
        command = staff.StaffSignIn(email=email, password=password, totp_code=totp_code.strip() or None)
    except ValidationError:
        return _sign_in_page(request, next, "invalid", 401)
    with UnitOfWork(state.db) as uow:
        try:
            session = staff.sign_in(uow, command, client=request.headers.get("user-agent"))
        except Problem:
            uow.commit()  # the failed attempt is counted
            return _sign_in_page(request, next, "invalid", 401)
        uow.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        STAFF_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=staff.SESSION_HOURS * 3600,
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, ctx: Employee) -> RedirectResponse:
    token = request.cookies.get(STAFF_COOKIE) or ""
    session_id = staff.session_id_of(token)
    with ctx.uow() as uow:
        if session_id and ctx.actor.staff_id:
            staff.end_session(uow, ctx.actor.staff_id, session_id)
        uow.commit()
    response = RedirectResponse("/pages/sign-in", status_code=303)
    response.delete_cookie(STAFF_COOKIE)
    return response


@router.post("/sign-out-everywhere")
def sign_out_everywhere(ctx: Employee) -> RedirectResponse:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        staff.end_sessions(uow, ctx.actor.staff_id)
        uow.commit()
    response = RedirectResponse("/pages/sign-in", status_code=303)
    response.delete_cookie(STAFF_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, ctx: Employee) -> HTMLResponse:
    lang = page_language(request)
    kernel = translations(__package__ or "comptoir.core", lang)
    links = []
    for title, path, package in ctx.state.page_links:
        text = translations(package, lang).gettext(title)
        links.append((kernel.gettext(title) if text == title else text, path))
    apps = sorted(((t, p) for t, p in links if p in APP_PATHS), key=lambda link: APP_PATHS.index(link[1]))
    others = [(title, path) for title, path in links if path not in APP_PATHS]
    return _pages.response(request, "home.html", links=others, apps=apps, actor=ctx.actor)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, ctx: Employee) -> HTMLResponse:
    assert ctx.actor.staff_id is not None
    token = request.cookies.get(STAFF_COOKIE) or ""
    with ctx.reader() as uow:
        person = staff.get_person(uow, ctx.actor.staff_id)
        sessions = staff.list_sessions(uow, ctx.actor.staff_id, staff.session_id_of(token))
    return _pages.response(request, "account.html", person=person, sessions=sessions, enrolment=None)


@router.post("/account/totp", response_class=HTMLResponse)
def start_totp(request: Request, ctx: Employee) -> HTMLResponse:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        enrolment = staff.start_totp(uow, ctx.actor.staff_id)
        person = staff.get_person(uow, ctx.actor.staff_id)
        uow.commit()
    import segno

    qr = Markup(segno.make(enrolment.otpauth_uri, error="m").svg_inline(scale=4))
    return _pages.response(request, "account.html", person=person, sessions=[], enrolment=enrolment, qr=qr)


@router.post("/account/totp/confirm")
def confirm_totp(ctx: Employee, code: Annotated[str, Form(max_length=6)]) -> RedirectResponse:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        staff.confirm_totp(uow, ctx.actor.staff_id, code.strip())
        uow.commit()
    return RedirectResponse("/pages/account", status_code=303)


def _safe_next(url: str) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    return url if url.startswith("/") and not url.startswith("//") else "/pages/"


PAGE_PREFIXES = {"/pages": "staff", "/seller": "seller", "/shop": "shop", "/back-office": "back-office"}


def _page_app(path: str) -> str | None:
    """The app a page path belongs to (its ``app_class``), None for the API and everything else."""
    for prefix, app_class in PAGE_PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return app_class
    return None


def error_page(request: Request, problem: Problem, app_class: str = "staff") -> HTMLResponse:
    """The error page in the page's language: the status's title and what to do; the problem's own
    detail (written in English by the services) only on English pages."""
    response = _pages.response(
        request, "error.html", status_code=problem.status, problem=problem, app_class=app_class
    )
    for name, value in problem.headers.items():
        response.headers.setdefault(name, value)
    return response


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response | None:
    """The API's own handler of an exception (sync or async), if it has one."""
    if handler is None:
        return None
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]


def install_page_handlers(app: FastAPI) -> None:
    """Pages (``/pages``, ``/seller``, ``/shop``, ``/back-office``) answer errors with HTML: a sign-in
    redirect, or the error page in the page's language. The API keeps problem+json."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    api_validation = app.exception_handlers.get(RequestValidationError)
    api_http = app.exception_handlers.get(HTTPException)

    async def on_sign_in_required(request: Request, exc: Exception) -> RedirectResponse:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(f"/pages/sign-in?next={quote(exc.next_url)}", status_code=303)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        app_class = _page_app(request.url.path)
        if app_class is None:
            return problem_response(exc, request)
        return error_page(request, exc, app_class)

    async def on_validation(request: Request, exc: Exception) -> Response:
        app_class = _page_app(request.url.path)
        problem = Problem("The request is not valid.", slug="invalid-input")
        problem.status, problem.title = 422, "Invalid input"
        if app_class is None:
            return await _delegate(api_validation, request, exc) or problem_response(problem, request)
        return error_page(request, problem, app_class)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        app_class = _page_app(request.url.path)
        generic = exc.detail == HTTPStatus(exc.status_code).phrase  # "Not Found": the title says it
        problem = Problem("" if generic else str(exc.detail), headers=exc.headers)
        problem.status, problem.title = exc.status_code, "Request failed"
        if app_class is None:
            return await _delegate(api_http, request, exc) or problem_response(problem, request)
        return error_page(request, problem, app_class)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
