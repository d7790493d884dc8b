"""What anyone reaches without signing in: the root page (pointing to the three apps and the API docs),
the API docs served offline (Swagger UI vendored under ``/static/vendor/swagger-ui``) and the static
files themselves, compressed on the wire and cacheable."""

import gzip
import os
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from comptoir.core.web import Public, page_language, static_url
from comptoir.core.web import _pages as pages

COMPRESSIBLE = (".css", ".js", ".svg", ".json", ".html", ".txt", ".md")
YEAR = 365 * 86400
router = APIRouter(include_in_schema=False)


class StaticAssets(StaticFiles):
    """Static files with ``Cache-Control`` (a year, immutable, when the address carries the content's
    hash as ``?v=``; otherwise revalidated with the ETag) and gzip for text files, compressed once per
    file version and kept in memory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gzipped: dict[str, tuple[float, int, bytes]] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code not in (200, 304):
            return response
        versioned = b"v=" in scope.get("query_string", b"")
        cache = f"public, max-age={YEAR}, immutable" if versioned else "public, no-cache"
        response.headers["Cache-Control"] = cache
        if not path.endswith(COMPRESSIBLE):
            return response
        response.headers["Vary"] = "Accept-Encoding"
        request = Headers(scope=scope)
        if not isinstance(response, FileResponse) or "gzip" not in request.get("accept-encoding", ""):
            return response
        assert response.stat_result is not None
        body = await anyio.to_thread.run_sync(self._gzip, str(response.path), response.stat_result)
        etag = response.headers["etag"].rstrip('"') + '-gzip"'
        headers = {
            "ETag": etag,
            "Last-Modified": response.headers["last-modified"],
            "Cache-Control": cache,
            "Vary": "Accept-Encoding",
        }
        if etag in request.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=response.media_type, headers=headers)

    def _gzip(self, full_path: str, stat: os.stat_result) -> bytes:
        kept = self._gzipped.get(full_path)
        if kept is not None and kept[:2] == (stat.st_mtime, stat.st_size):
            return kept[2]
        with open(full_path, "rb") as fh:
            body = gzip.compress(fh.read(), compresslevel=9, mtime=0)
        self._gzipped[full_path] = (stat.st_mtime, stat.st_size, body)
        return body


@router.get("/", response_class=HTMLResponse)
async def root(request: Request, _: Public) -> HTMLResponse:
    return pages.response(request, "root.html", app_class="shop")


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request, _: Public) -> HTMLResponse:
    lang = page_language(request)
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title="Comptoir API" if lang == "en" else "API Comptoir",
        swagger_js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
        swagger_css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
        swagger_favicon_url=static_url("vendor/swagger-ui/favicon-32x32.png"),
        # Swagger UI would otherwise ask validator.swagger.io for a badge.
        swagger_ui_parameters={"validatorUrl": None},
    )


def install(app: FastAPI) -> None:
    """Serve ``/static`` (compressed, cacheable); the root page and ``/docs`` come with :data:`router`.
    The application is made with ``docs_url=None, redoc_url=None``: FastAPI's own pages load a CDN."""
    app.mount("/static", StaticAssets(packages=[("comptoir.core", "static")]), name="static")
