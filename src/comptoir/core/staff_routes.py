"""Staff people over HTTP: sign-in for the tablet and back-office apps, sessions, TOTP, and the
administration of employees (administrators for everyone, shop managers for their shops' sellers)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from comptoir.core import staff
from comptoir.core.access import Role
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.auth import parse_token

router = APIRouter(prefix="/v1/staff", tags=["staff"], responses=PROBLEM_RESPONSES)

Public = Annotated[RequestContext, Depends(allow(None, "write", "public", "publishable", "shop"))]
Employee = Annotated[RequestContext, Depends(allow(None, "read", "staff"))]
PeopleReader = Annotated[RequestContext, Depends(allow("staff", "read", "staff", "secret"))]
PeopleWriter = Annotated[
    RequestContext,
    Depends(allow("staff", "write", "staff", "secret", roles=[Role.ADMIN, Role.SHOP_MANAGER])),
]
AuditReader = Annotated[
    RequestContext, Depends(allow("staff", "read", "staff", "secret", roles=[Role.ADMIN, Role.BACK_OFFICE]))
]


def _client(request: Request) -> str | None:
    agent = request.headers.get("user-agent", "")
    host = request.client.host if request.client else ""
    return f"{host} {agent}".strip() or None


@router.post("/sessions", status_code=201, summary="Sign in as an employee (e-mail, password, TOTP code)")
def sign_in(body: staff.StaffSignIn, ctx: Public, request: Request) -> staff.StaffSessionOut:
    with ctx.uow() as uow:
        try:
            out = staff.sign_in(uow, body, client=_client(request))
        finally:
            uow.commit()  # a failed attempt is counted even when the sign-in fails
    return out


@router.get("/me", summary="The signed-in employee")
def me(ctx: Employee) -> staff.StaffPersonOut:
    assert ctx.actor.staff_id is not None
    with ctx.reader() as uow:
        return staff.get_person(uow, ctx.actor.staff_id)


@router.get("/me/sessions", summary="The employee's open sessions")
def my_sessions(ctx: Employee, request: Request) -> list[staff.SessionInfo]:
    assert ctx.actor.staff_id is not None
    current = _current_session(request)
    with ctx.reader() as uow:
        return staff.list_sessions(uow, ctx.actor.staff_id, current)


@router.delete("/me/sessions/current", status_code=204, summary="Sign out (this session)")
def sign_out(ctx: Employee, request: Request) -> Response:
    assert ctx.actor.staff_id is not None
    current = _current_session(request)
    with ctx.uow() as uow:
        if current is not None:
            staff.end_session(uow, ctx.actor.staff_id, current)
        uow.commit()
    return Response(status_code=204)


@router.delete("/me/sessions", summary="Sign out everywhere (every session of the employee ends)")
def sign_out_everywhere(ctx: Employee) -> dict[str, int]:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        ended = staff.end_sessions(uow, ctx.actor.staff_id)
        uow.commit()
    return {"ended": ended}


@router.post("/me/totp", summary="Start two-factor enrolment: the secret for an authenticator app")
def start_totp(ctx: Employee) -> staff.TotpEnrolment:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        out = staff.start_totp(uow, ctx.actor.staff_id)
        uow.commit()
    return out


@router.post("/me/totp/confirm", summary="Confirm two-factor enrolment with the app's current code")
def confirm_totp(ctx: Employee, body: staff.TotpCode) -> staff.StaffPersonOut:
    assert ctx.actor.staff_id is not None
    with ctx.uow() as uow:
        out = staff.confirm_totp(uow, ctx.actor.staff_id, body.code)
        uow.commit()
    return out


@router.post("/people", status_code=201, summary="Add an employee (administrators; managers for their shops)")
def create_person(body: staff.StaffPersonIn, ctx: PeopleWriter) -> staff.StaffPersonOut:
    with ctx.uow() as uow:
        out = staff.create_person(uow, body, by=ctx.actor)
        uow.commit()
    return out


@router.get("/people", summary="Employees (a shop-bound reader sees their shops' people)")
def list_people(ctx: PeopleReader) -> list[staff.StaffPersonOut]:
    with ctx.reader() as uow:
        return staff.list_people(uow, by=ctx.actor)


@router.get("/people/{person_id}", summary="One employee")
def get_person(person_id: str, ctx: PeopleReader) -> staff.StaffPersonOut:
    with ctx.reader() as uow:
        return staff.get_person(uow, person_id, by=ctx.actor)


@router.patch("/people/{person_id}", summary="Change an employee's role, shops or password, or block them")
def update_person(person_id: str, body: staff.StaffPersonPatch, ctx: PeopleWriter) -> staff.StaffPersonOut:
    with ctx.uow() as uow:
        out = staff.update_person(uow, person_id, body, by=ctx.actor)
        uow.commit()
    return out


@router.get("/audit", summary="What employees did, newest first")
def audit(
    ctx: AuditReader,
    person_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    with ctx.reader() as uow:
        return staff.audit_rows(uow, person_id, limit)


def _current_session(request: Request) -> str | None:
    token = parse_token(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if token is None:
        token = request.cookies.get("comptoir_staff")
    return staff.session_id_of(token) if token else None
