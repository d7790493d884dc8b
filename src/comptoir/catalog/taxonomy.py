"""Categories (a tree), typed attributes and the families that say which attributes a product needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from comptoir.catalog import policies
from comptoir.catalog.events import CategoryCreated, CategoryUpdated, FamilyUpdated
from comptoir.catalog.models import Attribute, Category, Family, Product, Variant
from comptoir.catalog.schemas import (
    AttributeIn,
    AttributeOut,
    AttributePatch,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    FamilyAttribute,
    FamilyIn,
    FamilyOut,
)
from comptoir.core.errors import Conflict, InvalidInput, not_found
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork

# Product fields a family may require besides attributes ("images": at least one image).
RESERVED_CODES = {"name", "description", "brand", "origin", "composition", "labels", "images", "category"}

# -- categories ----------------------------------------------------------------------------------------


def _category_out(row: Category) -> CategoryOut:
    ids = row.path.split("/")
    return CategoryOut(
        id=row.id,
        code=row.code,
        parent_id=row.parent_id,
        ancestor_ids=ids[:-1],
        name=dict(row.name),
        position=row.position,
    )


def _category(uow: UnitOfWork, id_or_code: str, *, field: str | None = None) -> Category:
    row = uow.session.scalar(
        select(Category).where((Category.id == id_or_code) | (Category.code == id_or_code))
    )
    if row is None:
        if field is not None:
            raise InvalidInput(f"There is no category {id_or_code}.", field=field)
        raise not_found("Category", id_or_code)
    return row


def _check_locales(texts: dict[str, str] | None, field: str) -> None:
    for locale, text in (texts or {}).items():
        if locale not in policies.LOCALES:
            raise InvalidInput(
                f"Unknown locale {locale}: use {', '.join(policies.LOCALES)}.", field=f"{field}/{locale}"
            )
        if not text.strip():
            raise InvalidInput("Give a text or leave the locale out.", field=f"{field}/{locale}")


def create_category(uow: UnitOfWork, cmd: CategoryIn) -> CategoryOut:
    _check_locales(cmd.name, "name")
    if uow.session.scalar(select(Category.id).where(Category.code == cmd.code)) is not None:
        raise Conflict(f"A category with code {cmd.code} already exists.", slug="category-exists")
    parent = _category(uow, cmd.parent_code, field="parent_code") if cmd.parent_code else None
    category_id = new_id("cat")
    row = Category(
        id=category_id,
        code=cmd.code,
        parent_id=parent.id if parent else None,
        path=f"{parent.path}/{category_id}" if parent else category_id,
        name=cmd.name,
        position=cmd.position,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(CategoryCreated(category_id=row.id, code=row.code, parent_id=row.parent_id))
    return _category_out(row)


def update_category(uow: UnitOfWork, id_or_code: str, cmd: CategoryPatch) -> CategoryOut:
    row = _category(uow, id_or_code)
    changes = cmd.model_fields_set
    moved = False
    if "name" in changes and cmd.name is not None:
        _check_locales(cmd.name, "name")
        row.name = cmd.name
    if "position" in changes and cmd.position is not None:
        row.position = cmd.position
    if "parent_code" in changes:
        parent = _category(uow, cmd.parent_code, field="parent_code") if cmd.parent_code else None
        if parent is not None and (parent.id == row.id or parent.path.startswith(row.path + "/")):
            raise InvalidInput("A category cannot move under itself or its own subtree.", field="parent_code")
        new_parent_id = parent.id if parent else None
        if new_parent_id != row.parent_id:
            old_path = row.path
            new_path = f"{parent.path}/{row.id}" if parent else row.id
            # The whole subtree keeps its shape under the new ancestors.
            uow.session.execute(
                update(Category)
                .where(Category.path.startswith(old_path + "/", autoescape=True))
                .values(path=new_path + func.substr(Category.path, len(old_path) + 1))
                .execution_options(synchronize_session=False)
            )
            row.parent_id = new_parent_id
            row.path = new_path
            moved = True
    uow.session.flush()
    uow.record(CategoryUpdated(category_id=row.id, code=row.code, parent_id=row.parent_id, moved=moved))
    return _category_out(row)


def get_category(uow: UnitOfWork, id_or_code: str) -> CategoryOut:
    return _category_out(_category(uow, id_or_code))


def list_categories(uow: UnitOfWork) -> list[CategoryOut]:
    """Every category, parents before children, siblings by position then code."""
    rows = uow.session.scalars(select(Category)).all()
    by_id = {r.id: r for r in rows}

    def sort_key(row: Category) -> list[tuple[int, str]]:
        return [(by_id[i].position, by_id[i].code) for i in row.path.split("/") if i in by_id]

    return [_category_out(r) for r in sorted(rows, key=sort_key)]


def category_ancestors(uow: UnitOfWork, category_id: str) -> list[str]:
    """Ids of the category's ancestors, root first (not the category itself); [] for a root."""
    path = uow.session.scalar(select(Category.path).where(Category.id == category_id))
    if path is None:
        raise not_found("Category", category_id)
    return str(path).split("/")[:-1]


def category_subtree_ids(uow: UnitOfWork, category_id: str) -> list[str]:
    """The category and every category below it."""
    path = uow.session.scalar(select(Category.path).where(Category.id == category_id))
    if path is None:
        return []
    rows = uow.session.scalars(
        select(Category.id).where(
            (Category.id == category_id) | Category.path.startswith(f"{path}/", autoescape=True)
        )
    )
    return list(rows)


# -- attributes ----------------------------------------------------------------------------------------


def _attribute_out(row: Attribute) -> AttributeOut:
    return AttributeOut(
        code=row.code,
        type=row.type,
        label=dict(row.label),
        unit_kind=row.unit_kind,
        options=list(row.options),
        option_labels=dict(row.option_labels),
        facet=row.facet,
    )


def create_attribute(uow: UnitOfWork, cmd: AttributeIn) -> AttributeOut:
    _check_locales(cmd.label, "label")
    if cmd.code in RESERVED_CODES:
        raise InvalidInput(f"{cmd.code} is a built-in product field, not an attribute.", field="code")
    if uow.session.get(Attribute, cmd.code) is not None:
        raise Conflict(f"An attribute with code {cmd.code} already exists.", slug="attribute-exists")
    if cmd.type == "enum" and not cmd.options:
        raise InvalidInput("An enum attribute lists its options.", field="options")
    if cmd.type != "enum" and cmd.options:
        raise InvalidInput("Only enum attributes have options.", field="options")
    if cmd.unit_kind is not None and cmd.type != "number":
        raise InvalidInput("Only number attributes have a unit.", field="unit_kind")
    _check_option_labels(cmd.option_labels, cmd.options)
    row = Attribute(
        code=cmd.code,
        type=cmd.type,
        label=cmd.label,
        unit_kind=cmd.unit_kind,
        options=list(dict.fromkeys(cmd.options)),
        option_labels=cmd.option_labels,
        facet=cmd.facet,
    )
    uow.session.add(row)
    uow.session.flush()
    return _attribute_out(row)


def update_attribute(uow: UnitOfWork, code: str, cmd: AttributePatch) -> AttributeOut:
    row = uow.session.get(Attribute, code)
    if row is None:
        raise not_found("Attribute", code)
    if cmd.label is not None:
        _check_locales(cmd.label, "label")
        row.label = cmd.label
    if cmd.options is not None:
        if row.type != "enum":
            raise InvalidInput("Only enum attributes have options.", field="options")
        removed = set(row.options) - set(cmd.options)
        if removed and _enum_values_in_use(uow, code, removed):
            raise Conflict(
                f"Products still use {', '.join(sorted(removed))}; change them before removing the option.",
                slug="attribute-option-in-use",
            )
        row.options = list(dict.fromkeys(cmd.options))
    if cmd.option_labels is not None or cmd.options is not None:
        labels = cmd.option_labels if cmd.option_labels is not None else dict(row.option_labels)
        labels = {option: text for option, text in labels.items() if option in row.options}
        _check_option_labels(labels, row.options)
        row.option_labels = labels
    if cmd.facet is not None:
        row.facet = cmd.facet
    uow.session.flush()
    return _attribute_out(row)


def _check_option_labels(labels: dict[str, dict[str, str]], options: list[str]) -> None:
    for option, texts in labels.items():
        if option not in options:
            raise InvalidInput(
                f"{option} is not an option of this attribute.", field=f"option_labels/{option}"
            )
        _check_locales(texts, f"option_labels/{option}")


def _enum_values_in_use(uow: UnitOfWork, code: str, values: set[str]) -> bool:
    # Attributes are JSON; scanning in Python stays portable and options are rarely removed.
    for column in (Product.attributes, Variant.attributes):
        for attributes in uow.session.scalars(select(column)).yield_per(2000):
            if attributes.get(code) in values:
                return True
    return False


def list_attributes(uow: UnitOfWork) -> list[AttributeOut]:
    return [_attribute_out(r) for r in uow.session.scalars(select(Attribute).order_by(Attribute.code))]


# -- families ------------------------------------------------------------------------------------------


def _family_out(row: Family) -> FamilyOut:
    return FamilyOut(
        code=row.code,
        label=dict(row.label),
        attributes=[FamilyAttribute.model_validate(a) for a in row.attributes],
    )


def _check_family_attributes(uow: UnitOfWork, items: list[FamilyAttribute]) -> None:
    known = set(uow.session.scalars(select(Attribute.code)))
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.code in seen:
            raise InvalidInput(f"{item.code} is listed twice.", field=f"attributes/{index}/code")
        seen.add(item.code)
        if item.code not in known and item.code not in RESERVED_CODES:
            raise InvalidInput(f"There is no attribute {item.code}.", field=f"attributes/{index}/code")
        for channel in item.required_channels:
            if channel != "*" and channel not in policies.PUBLICATION_CHANNELS:
                raise InvalidInput(
                    f"Unknown channel {channel}: use * or {', '.join(policies.PUBLICATION_CHANNELS)}.",
                    field=f"attributes/{index}/required_channels",
                )


def create_family(uow: UnitOfWork, cmd: FamilyIn) -> FamilyOut:
    _check_locales(cmd.label, "label")
    if uow.session.get(Family, cmd.code) is not None:
        raise Conflict(f"A family with code {cmd.code} already exists.", slug="family-exists")
    _check_family_attributes(uow, cmd.attributes)
    row = Family(code=cmd.code, label=cmd.label, attributes=[a.model_dump() for a in cmd.attributes])
    uow.session.add(row)
    uow.session.flush()
    return _family_out(row)


def replace_family(uow: UnitOfWork, code: str, cmd: FamilyIn) -> FamilyOut:
    """Replace a family's label and attributes; the worker then withdraws publications it made incomplete."""
    row = uow.session.get(Family, code)
    if row is None:
        raise not_found("Family", code)
    if cmd.code != code:
        raise InvalidInput("A family's code cannot change.", field="code")
    _check_locales(cmd.label, "label")
    _check_family_attributes(uow, cmd.attributes)
    row.label = cmd.label
    row.attributes = [a.model_dump() for a in cmd.attributes]
    uow.session.flush()
    uow.record(FamilyUpdated(code=code))
    return _family_out(row)


def get_family(uow: UnitOfWork, code: str) -> FamilyOut:
    row = uow.session.get(Family, code)
    if row is None:
        raise not_found("Family", code)
    return _family_out(row)


def list_families(uow: UnitOfWork) -> list[FamilyOut]:
    return [_family_out(r) for r in uow.session.scalars(select(Family).order_by(Family.code))]


# -- a snapshot for validating many products at once ----------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    """Attributes, families and categories loaded once to validate products in bulk (imports)."""

    attributes: dict[str, policies.AttributeSpec]
    families: dict[str, list[dict[str, Any]]]
    categories: dict[str, tuple[str, str]]  # code → (id, path)
    category_codes: dict[str, str]  # id → code

    @classmethod
    def load(cls, uow: UnitOfWork) -> Taxonomy:
        attributes = {
            r.code: policies.AttributeSpec(r.code, r.type, r.unit_kind, tuple(r.options))
            for r in uow.session.scalars(select(Attribute))
        }
        families = {r.code: list(r.attributes) for r in uow.session.scalars(select(Family))}
        rows = uow.session.execute(select(Category.code, Category.id, Category.path)).all()
        return cls(
            attributes=attributes,
            families=families,
            categories={code: (cid, path) for code, cid, path in rows},
            category_codes={cid: code for code, cid, _ in rows},
        )

    def localised_attributes(self) -> set[str]:
        return {code for code, spec in self.attributes.items() if spec.type == "localised_text"}
