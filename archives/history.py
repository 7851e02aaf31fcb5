"""Reading the change history of resident files (django-simple-history): who changed what, when
and why, field by field, and a whole file as it stood at a moment.

Writes never happen here: services save rows and the library records them. Everything shown
passes through ``archives.scope``'s masking, as it does everywhere else.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archives import scope
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
SYSTEM_USERNAME = "system"
_TagHistory = Resident.history_records.m2m_models[Resident._meta.get_field("tags")]
HISTORY_TYPES = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


def system_actor():
    """The named account that commands act as when no person asked for the change.

    It cannot sign in: its password is unusable and it is inactive.
    """
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    record: Model  # the HistoricalResident row
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


def resident_history(resident: Resident, user, *, limit: int = 100) -> list[HistoryEntry]:
    """The resident's history, newest first, each entry with its field-by-field changes.

    A fixed number of queries whatever the number of entries: the entries and one more (to
    diff the oldest shown against), their tags, and the households and users they name.
    """
    records = list(
        resident.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    hidden = scope.hidden_fields(user, resident)
    names = _Names.for_records(records)
    entries = []
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
                changes=_changes(older, newer, hidden, names),
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
    names = _Names.for_records([record])
    rows = [
        (_label(name), _display(record, name, hidden, names))
        for name in RESIDENT_FIELDS
        if not (name == scope.MEDICAL_HISTORY and name in hidden)
    ]
    return FileAsOf(record=record, rows=rows)


# Internals -----------------------------------------------------------------------------------


@dataclass
class _Names:
    """Display names of the households, users and tags history entries refer to by ID, and
    the tags each entry recorded."""

    households: dict[int, str]
    users: dict[int, str]
    tags: dict[int, str]
    tags_of: dict[int, set[int]]  # history_id -> tag IDs

    @classmethod
    def for_records(cls, records: list) -> "_Names":
        household_ids = {r.household_id for r in records}
        user_ids = {r.last_verified_by_id for r in records} - {None}
        households = Household.objects.select_related("building").in_bulk(household_ids)
        users = get_user_model().objects.in_bulk(user_ids)
        tags_of: dict[int, set[int]] = {r.history_id: set() for r in records}
        tag_rows = _TagHistory.objects.filter(history_id__in=list(tags_of))
        for history_id, tag_id in tag_rows.values_list("history_id", "tag_id"):
            tags_of[history_id].add(tag_id)
        return cls(
            households={pk: str(h) for pk, h in households.items()},
            users={pk: u.get_username() for pk, u in users.items()},
            tags=dict(Tag.objects.values_list("pk", "name")),
            tags_of=tags_of,
        )


def _raw(record, name: str, names: _Names):
    if name == "tags":
        return names.tags_of[record.history_id]
    field = Resident._meta.get_field(name)
    return getattr(record, field.attname)


def _display(record, name: str, hidden: set[str], names: _Names) -> str:
    value = _raw(record, name, names)
    if name in hidden:
        if name == scope.ID_NUMBER:
            return scope.mask_id_number(value)
        return _("(hidden)")
    if name == "tags":
        return "、".join(sorted(names.tags.get(pk, str(pk)) for pk in value)) or "—"
    if value in (None, ""):
        return "—"
    if name == "household":
        return names.households.get(value, _("household %(id)s (removed)") % {"id": value})
    if name == "last_verified_by":
        return names.users.get(value, str(value))
    field = Resident._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime | dt.date):
        return formats.localize(value)
    return str(value)


def _label(name: str) -> str:
    return str(Resident._meta.get_field(name).verbose_name)


def _changes(older, newer, hidden: set[str], names: _Names) -> list[FieldChange]:
    changes = []
    for name in RESIDENT_FIELDS:
        if name == scope.MEDICAL_HISTORY and name in hidden:
            continue  # not even the fact that it changed
        new_value = _raw(newer, name, names)
        old_value = _raw(older, name, names) if older is not None else None
        if older is not None and old_value == new_value:
            continue
        if older is None and new_value in (None, "", set()):
            continue
        if name == "tags" and older is not None:
            added = sorted(names.tags.get(pk, str(pk)) for pk in new_value - old_value)
            removed = sorted(names.tags.get(pk, str(pk)) for pk in old_value - new_value)
            changes.append(
                FieldChange(
                    label=_label(name),
                    old="、".join(f"−{t}" for t in removed),
                    new="、".join(f"+{t}" for t in added),
                )
            )
            continue
        changes.append(
            FieldChange(
                label=_label(name),
                old=_display(older, name, hidden, names) if older is not None else "",
                new=_display(newer, name, hidden, names),
            )
        )
    return changes
