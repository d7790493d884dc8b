"""The stored identity resolution model: versions learned in batch, the active one used at ingest.

A batch (``comptoir customers dedupe --store-model``, an initial load) learns a model from its own
candidate pairs (:func:`~comptoir.customers.linkage.learn`); :func:`store_if_shifted` keeps it as a new
version when none is stored yet or when the data has shifted enough for its weights to move
(:func:`~comptoir.customers.linkage.has_shifted`). Older versions stay, inactive, for audit: a merge
records the score, and the version tells which weights produced it.
"""

from __future__ import annotations

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.customers.linkage import DEFAULT_MODEL, MatchModel, has_shifted
from comptoir.customers.models import MatchModelRow

_cache: dict[int, MatchModel] = {}


def active_model(uow: UnitOfWork) -> MatchModel:
    """The newest active version, or the built-in starting values before any batch was learned."""
    version = uow.session.scalar(
        select(MatchModelRow.version)
        .where(MatchModelRow.active.is_(True))
        .order_by(MatchModelRow.version.desc())
        .limit(1)
    )
    if version is None:
        return DEFAULT_MODEL
    if version not in _cache:  # versions never change once stored: parsed once per process
        row = uow.session.get(MatchModelRow, version)
        assert row is not None
        _cache[version] = MatchModel.from_json(row.parameters, version=version)
    return _cache[version]


def store(uow: UnitOfWork, model: MatchModel, reason: str) -> int:
    """Keep ``model`` as the new active version; the previous ones are deactivated."""
    uow.session.execute(update(MatchModelRow).where(MatchModelRow.active.is_(True)).values(active=False))
    row = MatchModelRow(
        learned_at=clock.now(),
        reason=reason,
        records=int(model.trained_on.get("records", 0)),
        pairs=int(model.trained_on.get("pairs", 0)),
        parameters=model.as_json(),
        active=True,
    )
    uow.session.add(row)
    uow.session.flush()
    model.version = row.version
    return row.version


def store_if_shifted(uow: UnitOfWork, model: MatchModel, reason: str) -> int | None:
    """Store ``model`` when it differs enough from the active one; its version, or ``None`` if kept."""
    if not has_shifted(active_model(uow), model):
        return None
    return store(uow, model, reason)
