"""Reading the change history of resident files (django-simple-history): who changed what, when
and why, field by field, and a whole file as it stood at a moment.

Writes never happen here: services save rows and the library records them. Everything shown
passes through ``archives.scope``'s masking, as it does everywhere else.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import ManyToManyField, Model
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archives import scope
from archives.model_meta import concrete_field, history_manager, history_model
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    Household,
    Resident,
    Street,
    Tag,
    Visit,
)

#: Every model whose changes are kept; a test checks no code writes to them without history.
HISTORIED_MODELS: tuple[type[Model], ...] = (
    Resident,
    Household,
    Building,
    Visit,
    Street,
    Community,
    Grid,
    Department,
    Tag,
)
#: The resident fields a history entry shows, in form order; bookkeeping fields are left out.
RESIDENT_FIELDS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "household",
    "relation_to_head",
    "residency_status",
    "tags",
    "medical_history",
    "last_verified_at",
    "last_verified_by",
]
#: What a history page shows of each archive model, in form order.
HISTORY_FIELDS: dict[type[Model], list[str]] = {
    Resident: RESIDENT_FIELDS,
    Household: ["building", "unit", "floor", "room", "status"],
    Building: ["grid", "address", "units", "floors", "latitude", "longitude"],
    Visit: [
        "grid_member",
        "household",
        "visited_at",
        "met",
        "findings",
        "needs_follow_up",
        "latitude",
        "longitude",
        "note",
    ],
    Street: ["code", "name"],
    Community: ["code", "name", "street"],
    Grid: ["code", "name", "community"],
    Department: ["code", "name", "serves_whole_city", "shares_medical_history"],
    Tag: ["code", "name", "needs_visits_per_month"],
}
HISTORY_TYPES = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    record: Any  # the historical row (HistoricalResident…), a class simple-history builds
    when: dt.datetime
    who: str
    why: str
    what: str  # created / changed / deleted
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class FileAsOf:
    """A resident file as it stood at one history entry: (label, value) rows, masked."""

    record: Model
    rows: list[tuple[str, str]]


def row_history(
    obj: Model, user, *, limit: int = 100, fields: list[str] | None = None
) -> list[HistoryEntry]:
    """The history of a resident, household, building or visit, newest first, each entry with
    its field-by-field changes, masked for ``user``. A higher app's historied model (a patrol
    round) names the ``fields`` its page shows, since ``HISTORY_FIELDS`` cannot name it.

    A fixed number of queries whatever the number of entries: the entries and one more (to
    diff the oldest shown against), their tags, and the rows and users they name.
    """
    records = list(
        history_manager(obj)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    model = type(obj)
    hidden = scope.hidden_fields(user, obj) if isinstance(obj, Resident) else set()
    shown = fields if fields is not None else HISTORY_FIELDS[model]
    names = _Names.for_records(model, records, shown)
    entries: list[HistoryEntry] = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        if len(entries) == limit:
            break
        entries.append(
            HistoryEntry(
                record=newer,
                when=newer.history_date,
                who=newer.history_user.get_username() if newer.history_user else _("unknown"),
                why=newer.history_change_reason or "",
                what=str(HISTORY_TYPES.get(newer.history_type, newer.history_type)),
                changes=_changes(model, older, newer, hidden, names, shown),
            )
        )
    return entries


def resident_as_of(resident: Resident, user, moment: dt.datetime) -> FileAsOf | None:
    """The whole file as it stood at ``moment`` (tags included, as they were), or None if
    the resident did not exist yet."""
    record = (
        resident.history.filter(history_date__lte=moment)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-":
        return None
    return file_at(record, user)


def file_at(record, user) -> FileAsOf:
    """The file as one history entry recorded it."""
    resident = Resident(pk=record.id)
    hidden = scope.hidden_fields(user, resident)
    names = _Names.for_records(Resident, [record], RESIDENT_FIELDS)
    rows = [
        (_label(Resident, name), _display(Resident, record, name, hidden, names))
        for name in RESIDENT_FIELDS
        if not (name == scope.MEDICAL_HISTORY and name in hidden)
    ]
    return FileAsOf(record=record, rows=rows)


# Internals -----------------------------------------------------------------------------------


@dataclass
class _Names:
    """Display names of the rows and users history entries refer to by ID, and the rows of each
    many-to-many field kept with the history (a resident's tags, a category's departments) each
    entry recorded."""

    related: dict[str, dict[int, str]]  # foreign key or many-to-many name -> {id: name}
    linked: dict[str, dict[int, set[int]]]  # many-to-many name -> {history_id: IDs}

    @classmethod
    def for_records(cls, model: type[Model], records: list, fields: list[str]) -> "_Names":
        related = {}
        linked: dict[str, dict[int, set[int]]] = {}
        kept = {f.name for f in getattr(history_model(model), "_history_m2m_fields", [])}
        for name in fields:
            field = concrete_field(model, name)
            if field.many_to_many and name in kept and isinstance(field.related_model, type):
                linked[name] = _linked_of(model, name, records)
                ids = set().union(*linked[name].values())
                related[name] = _names_of(field.related_model, ids)
            elif field.many_to_one and isinstance(field.related_model, type):
                ids = {getattr(r, field.attname) for r in records} - {None}
                related[name] = _names_of(field.related_model, ids)
        return cls(related=related, linked=linked)


def _linked_of(model: type[Model], name: str, records: list) -> dict[int, set[int]]:
    """{history_id: IDs of the rows many-to-many field ``name`` held at that entry}."""
    field = model._meta.get_field(name)
    assert isinstance(field, ManyToManyField)
    kept = getattr(history_model(model), name).model  # simple-history's table for the field
    column = field.m2m_reverse_field_name() + "_id"
    linked: dict[int, set[int]] = {r.history_id: set() for r in records}
    rows = kept.objects.filter(history_id__in=list(linked)).values_list("history_id", column)
    for history_id, pk in rows:
        linked[history_id].add(pk)
    return linked


def _names_of(model: type[Model], ids: set[int]) -> dict[int, str]:
    rows = model._default_manager.all()
    if model is get_user_model():
        return {pk: str(user) for pk, user in rows.in_bulk(ids).items()}  # the username
    if model is Household:
        rows = rows.select_related("building")
    return {pk: str(row) for pk, row in rows.in_bulk(ids).items()}


def _raw(model: type[Model], record, name: str, names: _Names):
    if name in names.linked:
        return names.linked[name][record.history_id]
    return getattr(record, concrete_field(model, name).attname)


def _display(model: type[Model], record, name: str, hidden: set[str], names: _Names) -> str:
    value = _raw(model, record, name, names)
    if name in hidden:
        return str(scope.masked_value(name, value, hidden) or "—")
    if name in names.linked:
        return "、".join(sorted(_name_in(names, name, pk) for pk in value)) or "—"
    if value in (None, ""):
        return "—"
    if name in names.related:
        return names.related[name].get(value, _("%(id)s (removed)") % {"id": value})
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    field = concrete_field(model, name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return formats.localize(timezone.localtime(value))
    if isinstance(value, dt.date):
        return formats.localize(value)
    return str(value)


def _name_in(names: _Names, name: str, pk: int) -> str:
    return names.related[name].get(pk, _("%(id)s (removed)") % {"id": pk})


def _label(model: type[Model], name: str) -> str:
    return str(concrete_field(model, name).verbose_name)


def _changes(
    model, older, newer, hidden: set[str], names: _Names, fields: list[str]
) -> list[FieldChange]:
    changes = []
    for name in fields:
        if name == scope.MEDICAL_HISTORY and name in hidden:
            continue  # not even the fact that it changed
        new_value = _raw(model, newer, name, names)
        old_value = _raw(model, older, name, names) if older is not None else None
        if older is not None and old_value == new_value:
            continue
        if older is None and new_value in (None, "", set()):
            continue
        if name in names.linked and older is not None:
            added = sorted(_name_in(names, name, pk) for pk in new_value - old_value)
            removed = sorted(_name_in(names, name, pk) for pk in old_value - new_value)
            changes.append(
                FieldChange(
                    label=_label(model, name),
                    old="、".join(f"−{t}" for t in removed),
                    new="、".join(f"+{t}" for t in added),
                )
            )
            continue
        changes.append(
            FieldChange(
                label=_label(model, name),
                old=_display(model, older, name, hidden, names) if older is not None else "",
                new=_display(model, newer, name, hidden, names),
            )
        )
    return changes
