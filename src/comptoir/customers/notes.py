"""Staff notes on a customer: what a seller or an agent should know next time (a preference, a promise).

A note is personal data: it is listed in the person's export and deleted with them. Notes of customers
merged into another are read with the survivor's."""

from __future__ import annotations

from sqlalchemy import delete, select

from comptoir.core import clock, staff
from comptoir.core.context import Actor
from comptoir.core.errors import Conflict, InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.customers import golden, records
from comptoir.customers.models import Customer, Note
from comptoir.customers.policies import NOTES_SHOWN, clean_note
from comptoir.customers.schemas import NoteOut


def _active(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = records.resolve(uow, customer_id)
    if customer.status == "erased":
        raise Conflict(f"Customer {customer_id} was erased.", slug="customer-erased")
    return customer


def _out(row: Note) -> NoteOut:
    return NoteOut(
        id=row.id,
        customer_id=row.customer_id,
        author_id=row.author_id,
        author_name=row.author_name,
        body=row.body,
        created_at=row.created_at,
    )


def _author_name(uow: UnitOfWork, actor: Actor) -> str | None:
    if actor.staff_id is None:
        return None
    try:
        return staff.get_person(uow, actor.staff_id).name
    except NotFound:
        return None


def add_note(uow: UnitOfWork, customer_id: str, body: str, actor: Actor) -> NoteOut:
    """File a note on the (surviving, not erased) customer, signed by the employee acting."""
    customer = _active(uow, customer_id)
    try:
        text = clean_note(body)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="body") from exc
    row = Note(
        customer_id=customer.id,
        author_id=actor.principal_id,
        author_name=_author_name(uow, actor),
        body=text,
        created_at=clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    return _out(row)


def notes_of(uow: UnitOfWork, customer_id: str, limit: int | None = NOTES_SHOWN) -> list[NoteOut]:
    """The customer's notes, newest first (``limit=None``: all of them, as the export lists them)."""
    customer = _active(uow, customer_id)
    ids = [customer.id, *golden.merged_into(uow, customer.id)]
    query = select(Note).where(Note.customer_id.in_(ids)).order_by(Note.created_at.desc(), Note.id.desc())
    if limit is not None:
        query = query.limit(max(1, min(limit, 200)))
    return [_out(r) for r in uow.session.scalars(query)]


def erase_notes(uow: UnitOfWork, customer_ids: list[str]) -> None:
    """GDPR erasure: the notes on these customers go."""
    uow.session.execute(delete(Note).where(Note.customer_id.in_(customer_ids)))
