"""Errors as RFC 9457 ``application/problem+json``: a stable ``type``, a title, a human ``detail``.

Services raise :class:`Problem` subclasses; the app turns them (and request validation errors, and
anything unexpected) into problem documents. No stack trace ever reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:comptoir:problem:"

# RFC 9457's own members: an extension never takes their names (a domain state goes under ``state``).
RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})


class Problem(Exception):
    """A failure the client can act on. ``slug`` becomes the stable type ``urn:comptoir:problem:<slug>``."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        slug: str | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        if slug is not None:
            self.slug = slug
        clashing = RESERVED_MEMBERS.intersection(extensions)
        if clashing:
            # A programming error, caught by the tests that raise it: `status` is the HTTP status.
            raise TypeError(f"problem extensions may not be named {sorted(clashing)}; use e.g. `state`")
        self.extensions = extensions

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


class InvalidInput(Problem):
    """422 for input that is well-formed but breaks a rule; ``field`` is a JSON pointer such as ``#/email``."""

    status = 422
    slug = "validation-error"
    title = "Your request is not valid"

    def __init__(self, detail: str, *, field: str | None = None, **kwargs: Any) -> None:
        errors = kwargs.pop("errors", None)
        if errors is None and field is not None:
            pointer = field if field.startswith("#") else "#/" + field.lstrip("/").replace(".", "/")
            errors = [{"pointer": pointer, "detail": detail}]
        super().__init__(detail, errors=errors, **kwargs)


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str = "A valid API key is required (Authorization: Bearer <key>).") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="comptoir"'})


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(Problem):
    status = 412
    slug = "precondition-failed"
    title = "The resource has changed"


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"
    title = "The upload is too large"


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"
    title = "If-Match required"


class RateLimited(Problem):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Rate limit exceeded for this API key; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


class Unavailable(Problem):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


def check_version(current: int, expected: int | None) -> None:
    """Optimistic concurrency for If-Match: a stale version answers 412 and names the current one."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The resource is at version {current}, not {expected}: reload it and apply your change again.",
            current_version=current,
        )


def not_found(kind: str, ident: object) -> NotFound:
    return NotFound(f"{kind} {ident} does not exist.", slug=f"{kind.lower().replace(' ', '-')}-not-found")


def pointer_from_loc(loc: Sequence[str | int]) -> tuple[str, str]:
    """Map a pydantic error location to (where, pointer): body fields become JSON pointers ``#/a/0/b``."""
    if not loc:
        return "body", "#"
    where, *rest = loc
    escaped = [str(part).replace("~", "~0").replace("/", "~1") for part in rest]
    if where == "body":
        return "body", "#/" + "/".join(escaped) if escaped else "#"
    return str(where), ".".join(str(part) for part in rest)
