"""JSON logs with a request id, Prometheus metrics, and the request middleware that ties them."""

from __future__ import annotations

import atexit
import contextvars
import json
import logging
import os
import sys
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from comptoir.core.cors import CORS

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True


class Metrics:
    """The request counter and latency histogram, and the kernel's other counters.

    A request only appends its figures to a queue (one atomic append); they are folded into the
    Prometheus series when ``/metrics`` is read, or every few thousand requests: updating a
    histogram and a counter, each behind its own lock, cost a fifth of the hottest route's
    middleware. Labelled children are kept by label values (``labels()`` costs more than the update).

    With several API processes (``comptoir serve --workers N`` sets ``PROMETHEUS_MULTIPROC_DIR``),
    ``prometheus_client``'s multiprocess mode keeps each process's series in files of that directory
    and ``/metrics`` sums every process's, whichever answers the scrape. Each process then also folds
    its queue every ``FOLD_SECONDS``, so a scrape sees the others' requests within that delay.
    """

    FOLD_EVERY = 4096
    FOLD_SECONDS = 0.25

    def __init__(self) -> None:
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "comptoir_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "comptoir_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.ratelimit_store_errors = Counter(
            "comptoir_ratelimit_store_errors",
            "Calls to the shared rate limit store (Redis) that failed; requests were let through",
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._pending: deque[tuple[str, str, int, float]] = deque()
        self._fold_lock = threading.Lock()
        if self.multiprocess_dir:
            _start_folding(self)
            atexit.register(multiprocess.mark_process_dead, os.getpid(), self.multiprocess_dir)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        pending = self._pending
        pending.append((method, route, status, seconds))
        if len(pending) >= self.FOLD_EVERY:
            self.fold()

    def fold(self) -> None:
        """Moves the queued figures into the Prometheus series (any thread; each figure once)."""
        pending, children = self._pending, self._children
        with self._fold_lock:  # two threads never create the same labelled child twice
            while True:
                try:
                    method, route, status, seconds = pending.popleft()
                except IndexError:
                    return
                key = (method, route, status)
                found = children.get(key)
                if found is None:
                    found = children[key] = (
                        self.requests.labels(method, route, str(status)),
                        self.latency.labels(method, route),
                    )
                found[0].inc()
                found[1].observe(seconds)

    def exposition(self) -> bytes:
        """The Prometheus text format, every request so far included (of every process)."""
        self.fold()
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


def _start_folding(metrics: Metrics) -> None:
    """A daemon thread folding ``metrics``'s queue every ``FOLD_SECONDS`` while it is alive."""
    ref = weakref.ref(metrics)

    def run() -> None:
        while True:
            time.sleep(Metrics.FOLD_SECONDS)
            alive = ref()
            if alive is None:
                return
            alive.fold()
            del alive

    threading.Thread(target=run, name="metrics-fold", daemon=True).start()


access_log = logging.getLogger("comptoir.access")


class RequestMiddleware:
    """The edge of every HTTP request: gives it an id (``X-Request-ID`` in and out), answers CORS
    (``cors``: preflights, and the response headers for the request's ``Origin``), logs it once and
    records metrics — in one pass over the request's headers and one ``send`` wrapper."""

    def __init__(self, app: ASGIApp, metrics: Metrics, cors: CORS | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        origin: str | None = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"x-request-id" and request_id is None:
                request_id = value.decode("latin-1")[:64]
            elif name == b"origin" and origin is None:
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                preflight = True
        if not request_id:
            request_id = os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False
        tagged = (b"x-request-id", request_id.encode())
        app = self.app
        cors = self.cors
        if cors is not None and preflight and origin is not None and scope["method"] == "OPTIONS":
            app, cors = cors.preflight(scope), None  # the preflight answer carries its own CORS headers

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = message.get("headers", ())
                if cors is not None:
                    message["headers"] = [*cors.merged(headers, origin), tagged]
                else:
                    message["headers"] = [*headers, tagged]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        except Exception:
            logging.getLogger("comptoir.api").exception("unhandled error", extra={"path": scope["path"]})
            if started_response:
                raise
            await _send_internal_error(send_wrapper, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.observe(method, route_path, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


async def _send_internal_error(send: Send, request_id: str) -> None:
    """A 500 problem document: the request id to quote, never the exception or a stack trace."""
    body = json.dumps(
        {
            "type": "urn:comptoir:problem:internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": f"An unexpected error occurred. It has been logged with the request id {request_id}; "
            "nothing was half-written.",
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
