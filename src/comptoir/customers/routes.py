"""HTTP API of the single customer record (``/v1/customers``): thin, every rule lives in the services.

Who reaches what: a signed-in customer (channel key + ``X-Customer-Token``) only their own record,
consents and export; a website or app key without a token may ingest records and sign customers
up and in, not read anyone; staff keys (back office, stores, call centre, live) reach everyone.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from comptoir.core.access import Role
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.errors import Forbidden, Problem
from comptoir.core.pagination import Page
from comptoir.core.types import AwareDatetime, Schema
from comptoir.core.uow import UnitOfWork
from comptoir.customers import accounts, consents, gdpr, ingestion, merging, notes, profiles, records, search
from comptoir.customers.policies import SELF_ASSERTING_CHANNELS, may_access_customer
from comptoir.customers.schemas import (
    Accepted,
    BatchRowResult,
    ConsentChannel,
    ConsentIn,
    ConsentsOut,
    ContactPermission,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    CustomerSummary,
    CustomerView,
    ErasureOut,
    ExportOut,
    IdentifierIn,
    IdentifierOut,
    IngestBatchIn,
    IngestBatchOut,
    IngestIn,
    IngestResult,
    LinkRequestIn,
    LinkSignInIn,
    MergeIn,
    MergeOut,
    NoteIn,
    NoteOut,
    PasswordResetConfirmIn,
    Purpose,
    ReviewOut,
    SearchHit,
    SegmentsIn,
    SessionOut,
    SignInIn,
    SignUpIn,
    SourceRecordOut,
)

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=PROBLEM_RESPONSES)
# A customer reaches their own record; a publishable key alone reaches nobody's (it signs up and in);
# staff, shop and secret keys reach every customer. Merges, reviews, segments and erasure by staff are
# for the back office and the service desk.
Reader = Annotated[RequestContext, Depends(allow("customers", "read", "customer", "staff", "shop", "secret"))]
Writer = Annotated[
    RequestContext, Depends(allow("customers", "write", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("customers", "read", "staff", "shop", "secret"))]
StaffWriter = Annotated[RequestContext, Depends(allow("customers", "write", "staff", "shop", "secret"))]
Ingest = Annotated[
    RequestContext, Depends(allow("customers", "write", "publishable", "staff", "shop", "secret"))
]
Bulk = Annotated[RequestContext, Depends(allow("customers", "write", "staff", "secret", retailer_wide=True))]
Shopper = Annotated[RequestContext, Depends(allow("customers", "write", "publishable", "customer"))]
Myself = Annotated[RequestContext, Depends(allow("customers", "read", "customer"))]
MyselfWriter = Annotated[RequestContext, Depends(allow("customers", "write", "customer"))]
_DESK = [Role.BACK_OFFICE, Role.ADMIN, Role.SERVICE_AGENT]
DeskReader = Annotated[RequestContext, Depends(allow("customers", "read", "staff", "secret", roles=_DESK))]
DeskWriter = Annotated[RequestContext, Depends(allow("customers", "write", "staff", "secret", roles=_DESK))]
Erasure = Annotated[
    RequestContext, Depends(allow("customers", "write", "customer", "staff", "secret", roles=_DESK))
]
Export = Annotated[
    RequestContext, Depends(allow("customers", "read", "customer", "staff", "secret", roles=_DESK))
]
Limit = Annotated[int, Query(ge=1, le=200)]


# -- access rules ------------------------------------------------------------------------------------


def staff_only(ctx: RequestContext) -> None:
    """Belt and braces under the route's policy: never a shopper."""
    if not ctx.actor.is_staff_side:
        raise Forbidden("This operation is for staff.", slug="staff-only")


def no_customer_token(ctx: RequestContext) -> None:
    if ctx.actor.customer_id is not None:
        raise Forbidden("This operation is not available with a customer token.", slug="staff-only")


def reachable(ctx: RequestContext, uow: UnitOfWork, customer_id: str) -> str:
    """The surviving id of ``customer_id`` if the caller may act on it (a customer: their own only)."""
    target = records.resolve(uow, customer_id).id
    signed_in = records.resolve(uow, ctx.actor.customer_id).id if ctx.actor.customer_id else None
    if (problem := may_access_customer(ctx.actor.channel_kind, signed_in, target)) is not None:
        raise Forbidden(problem, slug="not-your-customer-data")
    if ctx.actor.kind in ("customer", "publishable", "public") and signed_in != target:
        raise Forbidden("A customer may only act on their own data.", slug="not-your-customer-data")
    return target


def consent_source(ctx: RequestContext) -> str:
    kind = ctx.actor.channel_kind
    return {"web": "web", "app": "app", "store": "pos", "call-centre": "call-centre"}.get(kind, "staff")


# -- ingestion ------------------------------------------------------------------------------------------


INGESTED = "The record is kept; it joins a customer once matched (and, if self-asserted, verified)."


@router.post(
    "/ingest",
    status_code=201,
    summary="Ingest one source record (dirty data accepted and flagged)",
    responses={202: {"model": Accepted, "description": "Customer-facing keys: kept, no ids revealed"}},
)
def ingest_record(body: IngestIn, ctx: Ingest, response: Response) -> IngestResult | Accepted:
    no_customer_token(ctx)
    with ctx.uow() as uow:
        out = ingestion.ingest(uow, body.source, body, region=ctx.settings.default_region)
        uow.commit()
    if ctx.actor.channel_kind in SELF_ASSERTING_CHANNELS:  # who matched whom is staff knowledge
        response.status_code = 202
        return Accepted(detail=INGESTED)
    return out


@router.post(
    "/ingest/batch",
    summary="Ingest up to 1000 records; each row succeeds or fails on its own",
    responses={202: {"model": Accepted, "description": "Customer-facing keys: kept, no ids revealed"}},
)
def ingest_batch(body: IngestBatchIn, ctx: Bulk, response: Response) -> IngestBatchOut | Accepted:
    no_customer_token(ctx)
    results: list[BatchRowResult] = []
    with ctx.uow() as uow:
        for index, record in enumerate(body.records):
            try:
                with uow.savepoint():
                    result = ingestion.ingest(uow, body.source, record, region=ctx.settings.default_region)
                results.append(BatchRowResult(index=index, result=result))
            except Problem as exc:
                results.append(BatchRowResult(index=index, error=exc.detail))
        uow.commit()
    if ctx.actor.channel_kind in SELF_ASSERTING_CHANNELS:
        response.status_code = 202
        return Accepted(detail=INGESTED)
    return IngestBatchOut(results=results)


# -- staff: customers ------------------------------------------------------------------------------------


class CreatedCustomer(Schema):
    customer: CustomerOut
    match: IngestResult = Field(
        description="How the new record was matched (an existing customer may be found)"
    )


@router.post(
    "", status_code=201, summary="Create a customer directly (invalid input refused; duplicates found)"
)
def create_customer(body: CustomerCreate, ctx: StaffWriter, response: Response) -> CreatedCustomer:
    staff_only(ctx)
    with ctx.uow() as uow:
        result = profiles.create_customer(uow, body, region=ctx.settings.default_region)
        customer = profiles.get_customer(uow, result.customer_id)
        uow.commit()
    if not result.created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/customers/{customer.id}"
    response.headers["ETag"] = etag(customer.version)
    return CreatedCustomer(customer=customer, match=result)


@router.get("", summary="List customers, optionally those of a segment")
def list_customers(
    ctx: StaffReader, segment: str | None = None, cursor: str | None = None, limit: Limit = 50
) -> Page[CustomerSummary]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return profiles.list_customers(uow, segment=segment, cursor=cursor, limit=limit)


@router.get("/search", summary="Staff search by name (typos forgiven), e-mail, phone, card or receipt number")
def search_customers(
    ctx: StaffReader,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[SearchHit]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return search.search(uow, q, limit=limit)


@router.get("/me", summary="The signed-in customer's own record")
def me(ctx: Myself, response: Response) -> CustomerOut:
    if ctx.actor.customer_id is None:
        raise Forbidden("Send the signed-in customer's X-Customer-Token.", slug="customer-token-required")
    with ctx.reader() as uow:
        out = profiles.get_customer(uow, ctx.actor.customer_id)
    response.headers["ETag"] = etag(out.version)
    return out


# -- staff: review queue and merges ------------------------------------------------------------------------


@router.get("/reviews", summary="Possible duplicates waiting for staff")
def list_reviews(
    ctx: DeskReader,
    status: Literal["open", "accepted", "rejected", "obsolete"] = "open",
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[ReviewOut]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return merging.list_reviews(uow, status=status, cursor=cursor, limit=limit)


@router.get("/reviews/{review_id}", summary="One possible duplicate")
def get_review(review_id: str, ctx: DeskReader) -> ReviewOut:
    staff_only(ctx)
    with ctx.reader() as uow:
        return merging.get_review(uow, review_id)


@router.post("/reviews/{review_id}/accept", summary="Same person: merge the two customers")
def accept_review(review_id: str, ctx: DeskWriter) -> ReviewOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        out = merging.accept_review(uow, review_id)
        uow.commit()
    return out


@router.post("/reviews/{review_id}/reject", summary="Two different people: never propose them again")
def reject_review(review_id: str, ctx: DeskWriter) -> ReviewOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        out = merging.reject_review(uow, review_id)
        uow.commit()
    return out


@router.post("/merges", status_code=201, summary="Merge customers into a survivor (audited, can be undone)")
def merge_customers(body: MergeIn, ctx: DeskWriter) -> MergeOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        survivor = records.resolve(uow, body.survivor_id).id
        merged = [records.resolve(uow, m).id for m in body.merged_ids]
        row = merging.merge(uow, survivor, merged, reason="staff")
        uow.commit()
        return merging.merge_out(row)


@router.get("/merges/{merge_id}", summary="One merge and what it moved")
def get_merge(merge_id: str, ctx: DeskReader) -> MergeOut:
    staff_only(ctx)
    with ctx.reader() as uow:
        return merging.get_merge(uow, merge_id)


@router.post("/merges/{merge_id}/undo", summary="Unmerge: each customer gets back exactly what it brought")
def undo_merge(merge_id: str, ctx: DeskWriter) -> MergeOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        row = merging.unmerge(uow, merge_id)
        uow.commit()
        return merging.merge_out(row)


# -- customer accounts ---------------------------------------------------------------------------------------


@router.post(
    "/accounts",
    status_code=202,
    tags=["customer accounts"],
    summary="Sign up: the same answer whether or not the address has an account; the link goes by e-mail",
)
def sign_up(body: SignUpIn, ctx: Shopper) -> Accepted:
    no_customer_token(ctx)
    with ctx.uow() as uow:
        detail = accounts.sign_up(uow, body, ctx.settings)
        uow.commit()
    return Accepted(detail=detail)


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/sessions", tags=["customer accounts"], summary="Sign in with e-mail and password")
def sign_in(body: SignInIn, ctx: Shopper, request: Request) -> SessionOut:
    client = client_address(request)
    with ctx.uow() as uow:  # the attempt takes its slots before any password is checked
        claim = accounts.claim_attempt(uow, body, ctx.settings, client)
        if claim.retry_after is not None:
            raise accounts.locked_out(claim)
        uow.commit()
    with ctx.uow() as uow:
        outcome = accounts.sign_in(uow, body, ctx.settings, client)
        uow.commit()
    if outcome.problem is not None:
        raise outcome.problem
    assert outcome.session is not None
    return outcome.session


@router.delete(
    "/sessions",
    status_code=204,
    tags=["customer accounts"],
    summary="Sign out everywhere: every token of the signed-in customer stops working",
)
def sign_out_everywhere(ctx: MyselfWriter) -> Response:
    if ctx.actor.customer_id is None:
        raise Forbidden("Send the signed-in customer's X-Customer-Token.", slug="customer-token-required")
    with ctx.uow() as uow:
        accounts.sign_out_everywhere(uow, records.resolve(uow, ctx.actor.customer_id).id)
        uow.commit()
    return Response(status_code=204)


@router.post(
    "/sign-in-links", status_code=202, tags=["customer accounts"], summary="E-mail a one-time sign-in link"
)
def request_sign_in_link(body: LinkRequestIn, ctx: Shopper) -> Accepted:
    with ctx.uow() as uow:
        accounts.request_sign_in_link(uow, body, ctx.settings)
        uow.commit()
    return Accepted(detail="If an account uses this address, a sign-in link is on its way.")


@router.post(
    "/sessions/link", tags=["customer accounts"], summary="Sign in with the token of an e-mailed link"
)
def sign_in_with_link(body: LinkSignInIn, ctx: Shopper) -> SessionOut:
    with ctx.uow() as uow:
        out = accounts.sign_in_with_link(uow, body, ctx.settings)
        uow.commit()
    return out


@router.post(
    "/password-resets", status_code=202, tags=["customer accounts"], summary="E-mail a password reset link"
)
def request_password_reset(body: LinkRequestIn, ctx: Shopper) -> Accepted:
    with ctx.uow() as uow:
        accounts.request_password_reset(uow, body, ctx.settings)
        uow.commit()
    return Accepted(detail="If an account uses this address, a reset link is on its way.")


@router.post(
    "/password-resets/confirm", tags=["customer accounts"], summary="Choose a new password (signs in)"
)
def confirm_password_reset(body: PasswordResetConfirmIn, ctx: Shopper) -> SessionOut:
    with ctx.uow() as uow:
        out = accounts.reset_password(uow, body, ctx.settings)
        uow.commit()
    return out


# -- one customer -------------------------------------------------------------------------------------------


@router.get("/{customer_id}", summary="The golden record (an id merged away answers with the survivor)")
def get_customer(customer_id: str, ctx: Reader, response: Response) -> CustomerOut:
    with ctx.reader() as uow:
        target = reachable(ctx, uow, customer_id)
        out = profiles.get_customer(uow, target)
    response.headers["ETag"] = etag(out.version)
    if out.id != customer_id:
        response.headers["Content-Location"] = f"/v1/customers/{out.id}"
    return out


@router.patch("/{customer_id}", summary="Rectify the record (send If-Match with its ETag)")
def rectify(
    customer_id: str, body: CustomerPatch, ctx: Writer, expected: IfMatch, response: Response
) -> CustomerOut:
    with ctx.uow() as uow:
        target = reachable(ctx, uow, customer_id)
        out = profiles.rectify(uow, target, body, expected)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


@router.delete("/{customer_id}", summary="Erase the person (GDPR): anonymised here, erased by every domain")
def erase(customer_id: str, ctx: Erasure) -> ErasureOut:
    with ctx.uow() as uow:
        target = reachable(ctx, uow, customer_id)
        out = gdpr.erase(uow, target, ctx.settings)
        uow.commit()
    return out


@router.get("/{customer_id}/export", summary="Everything held on the person (GDPR), in one document")
def export(customer_id: str, ctx: Export) -> ExportOut:
    with ctx.reader() as uow:
        target = reachable(ctx, uow, customer_id)
        return gdpr.export(uow, target, ctx.state.customer_exports or ctx.state.customer_sections)


@router.get("/{customer_id}/360", summary="360° view: the golden record and every domain's section")
def view_360(customer_id: str, ctx: StaffReader) -> CustomerView:
    staff_only(ctx)
    with ctx.reader() as uow:
        return profiles.view_360(uow, customer_id, ctx.state.customer_sections)


@router.get("/{customer_id}/sources", summary="The source records, verbatim, with flags and match decisions")
def sources(customer_id: str, ctx: StaffReader) -> list[SourceRecordOut]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return profiles.sources_of(uow, records.resolve(uow, customer_id).id)


@router.get("/{customer_id}/merges", summary="Merges into this customer, newest first")
def merges(customer_id: str, ctx: StaffReader) -> list[MergeOut]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return merging.merges_of(uow, records.resolve(uow, customer_id).id)


@router.get("/{customer_id}/consents", summary="Consents in force and their history")
def get_consents(customer_id: str, ctx: Reader) -> ConsentsOut:
    with ctx.reader() as uow:
        target = reachable(ctx, uow, customer_id)
        return consents.consents_of(uow, target)


class ConsentsIn(Schema):
    statements: list[ConsentIn] = Field(min_length=1, max_length=50)


@router.post(
    "/{customer_id}/consents", status_code=201, summary="Record consent statements (the latest wins)"
)
def add_consents(customer_id: str, body: ConsentsIn, ctx: Writer) -> ConsentsOut:
    with ctx.uow() as uow:
        target = reachable(ctx, uow, customer_id)
        profiles.active_customer(uow, target)
        consents.record(uow, target, body.statements, consent_source(ctx))
        uow.commit()
        return consents.consents_of(uow, target)


@router.get(
    "/{customer_id}/contact-permission", summary="May we contact them for this purpose on this channel?"
)
def contact_permission(
    customer_id: str, purpose: Purpose, channel: ConsentChannel, ctx: Reader, at: AwareDatetime | None = None
) -> ContactPermission:
    with ctx.reader() as uow:
        target = reachable(ctx, uow, customer_id)
        allowed = consents.may_contact(uow, target, purpose, channel, at)
    return ContactPermission(customer_id=target, purpose=purpose, channel=channel, allowed=allowed)


@router.put("/{customer_id}/segments", summary="Set the customer's segments (vip, staff, pro…)")
def set_segments(customer_id: str, body: SegmentsIn, ctx: DeskWriter, response: Response) -> CustomerOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        out = profiles.set_segments(uow, customer_id, body.segments)
        uow.commit()
    response.headers["ETag"] = etag(out.version)
    return out


class BlockOut(Schema):
    customer_id: str
    blocked: bool
    accounts_changed: int


@router.post(
    "/{customer_id}/block",
    tags=["customer accounts"],
    summary="Block the customer's accounts: every session ends at once, sign-in is refused",
)
def block(customer_id: str, ctx: DeskWriter) -> BlockOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        target = records.resolve(uow, customer_id).id
        changed = accounts.set_blocked(uow, target, True)
        uow.commit()
    return BlockOut(customer_id=target, blocked=True, accounts_changed=changed)


@router.post(
    "/{customer_id}/unblock", tags=["customer accounts"], summary="Allow the accounts to sign in again"
)
def unblock(customer_id: str, ctx: DeskWriter) -> BlockOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        target = records.resolve(uow, customer_id).id
        changed = accounts.set_blocked(uow, target, False)
        uow.commit()
    return BlockOut(customer_id=target, blocked=False, accounts_changed=changed)


@router.get("/{customer_id}/identifiers", summary="External identifiers (receipt numbers, cards…)")
def identifiers(customer_id: str, ctx: StaffReader) -> list[IdentifierOut]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return profiles.identifiers_of(uow, records.resolve(uow, customer_id).id)


@router.post("/{customer_id}/identifiers", status_code=201, summary="Add an external identifier")
def add_identifier(customer_id: str, body: IdentifierIn, ctx: StaffWriter) -> IdentifierOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        out = profiles.add_identifier(uow, customer_id, body.kind, body.value)
        uow.commit()
    return out


@router.get("/{customer_id}/notes", summary="Staff notes on the customer, newest first")
def list_notes(
    customer_id: str, ctx: StaffReader, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[NoteOut]:
    staff_only(ctx)
    with ctx.reader() as uow:
        return notes.notes_of(uow, customer_id, limit)


@router.post("/{customer_id}/notes", status_code=201, summary="Add a staff note on the customer")
def add_note(customer_id: str, body: NoteIn, ctx: StaffWriter) -> NoteOut:
    staff_only(ctx)
    with ctx.uow() as uow:
        out = notes.add_note(uow, customer_id, body.body, ctx.actor)
        uow.commit()
    return out
