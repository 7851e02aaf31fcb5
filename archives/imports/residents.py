"""Importing residents from a spreadsheet: plan (validate every row, write nothing), then apply
(all rows in one transaction, with history), and nothing at all if any row has an error.

A row names its household by grid code, building address, unit, floor and room; buildings and
households that do not exist yet in the user's grids are created. A row whose ID number
belongs to an active resident in the user's grids updates that resident. Headers are matched
in Chinese or English, as the export writes them, so an exported file imports back unchanged.
"""

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils.translation import gettext as _

from archives import bulk, scope, services, sql
from archives.imports.cleaning import read_date, read_id_number, read_phone
from archives.imports.collector import collector_paused
from archives.imports.reading import Table
from archives.imports.rows import (
    CLEARING,
    ID_CHUNK,
    REVIVAL,
    ImportPlan,
    Places,
    PlannedRow,
    RowReader,
    choice_spellings,
    column_values,
    import_reason,
    plan_creations,
    read_choice,
    read_place,
    resource_column_names,
    rows_of,
    table_header,
)
from archives.model_meta import concrete_field
from archives.models import Household, Resident, Tag
from archives.places import Place
from archives.resources import ResidentResource
from archives.validators import ResidentIdFacts, parse_id_number

_NAME_MAX_LENGTH = int(Resident._meta.get_field("name").max_length or 0)
REQUIRED = ["id_number", "name", "grid", "building", "unit", "floor", "room"]
TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
CHOICES = ["sex", "ethnicity", "relation_to_head", "residency_status"]
#: New residents written in one go (with their history and tags).
NEW_CHUNK = 10_000
#: The empty sets most rows share, one each for the whole file.
_NO_TAGS: frozenset[int] = frozenset()
_NO_WARNINGS: frozenset[str] = frozenset()


def column_names() -> dict[str, list[str]]:
    return resource_column_names(ResidentResource)


@collector_paused()
def resident_import_plan(table: Table, *, user) -> ImportPlan:
    names = column_names()
    match = table_header(table, names, REQUIRED)
    plan = ImportPlan()
    plan.read_from(table, match)
    rows = list(rows_of(table, names, REQUIRED, plan.errors))
    # Each row's ID number is read once: the lookups match by it, then the row plans with it.
    read_id = functools.partial(_read_id, today=dt.date.today())  # one day for the whole file
    ids = [read_id(row) for row in rows]
    lookups = _Lookups.load(table, names, user, id_numbers=[number for number, _facts in ids])
    table.rows_let_go()  # the row readers hold the cells now, each until its row is planned
    first_row_of: dict[str, int] = {}
    # Each row's reader and ID facts are let go once the row is planned: all of them held at
    # once, beside the planned rows, made the import's peak memory.
    rows.reverse()
    ids.reverse()
    while rows:
        row, (id_number, facts) = rows.pop(), ids.pop()
        planned = _plan_row(row, id_number, facts, lookups, first_row_of)
        if planned is not None:
            plan.rows.append(planned)
    del first_row_of
    if plan.errors:
        plan.finish()
        return plan
    shown = _Shown.load(user, lookups.places.writable)
    for planned in plan.rows:
        planned.label = shown.id_number(planned.values["id_number"], planned.place.grid_id)
        planned.title = planned.values["name"]
    statuses = _compare(plan, lookups, shown)
    plan_creations(plan, lookups.places)
    _plan_occupied(plan, lookups.places, statuses)
    return plan


@collector_paused()
@transaction.atomic
def resident_import_apply(
    plan: ImportPlan,
    *,
    user,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a plan without errors: buildings, households, new residents in bulk, updated
    residents in bulk (each a history entry), vacant households made occupied, all with the
    reason "import of FILE". An update writes only the fields the file has. ``progress(done,
    total)`` hears of the rows written so far (a job's progress bar)."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = import_reason(filename=filename, user=user)
    written = [r for r in plan.rows if r.action != "unchanged"]
    report = progress or (lambda done, total: None)
    report(0, len(written))
    households = services.households_ensure(
        places={r.place for r in written}, actor=user, reason=reason
    )
    # The places households_ensure answers are as stored, their grid included.
    household_grids = {pk: place.grid_id for place, pk in households.items()}
    new = [r for r in plan.rows if r.action == "new"]
    # A chunk at a time, so that only a chunk's model instances are ever in memory.
    for start in range(0, len(new), NEW_CHUNK):
        chunk = new[start : start + NEW_CHUNK]
        services.residents_bulk_create(
            residents=bulk.rows_built(
                Resident, ({**r.values, "household_id": households[r.place]} for r in chunk)
            ),
            tag_ids=[_tags_written(r) for r in chunk],
            actor=user,
            reason=reason,
            household_grids=household_grids,
        )
        report(start + len(chunk), len(written))
    # An update writes only the fields the plan found changed (and the household), so the
    # stored residents need not be loaded: rows that change the same fields go together.
    # Loading them whole took a fifth of 100,000 updates. The version each was compared at
    # still guards against an edit made since the preview (ConcurrentEditError).
    groups: dict[tuple[str, ...], list[PlannedRow]] = {}
    for planned in plan.rows:
        if planned.action == "update":
            groups.setdefault(tuple(planned.values), []).append(planned)
    done = len(new)
    for changed, updates in groups.items():
        wanted = {"id", "household_id", "version", *changed}
        # from_db takes the values in the model's field order, the others left deferred
        attnames = [f.attname for f in Resident._meta.concrete_fields if f.attname in wanted]
        for start in range(0, len(updates), ID_CHUNK):  # a chunk at a time: memory stays flat
            chunk = updates[start : start + ID_CHUNK]
            residents = []
            for r in chunk:
                values = {
                    **r.values,
                    "id": r.existing_id,
                    "household_id": households[r.place],
                    "version": cast(int, r.existing_version),  # set by the plan's compare
                }
                # a stored row of these fields only: the others are never read
                residents.append(Resident.from_db(None, attnames, [values[a] for a in attnames]))
            services.residents_bulk_update(
                residents=residents,
                tag_ids=[_tags_written(r) for r in chunk],
                actor=user,
                reason=reason,
                fields=[*changed, "household"],
                household_grids=household_grids,
            )
            done += len(chunk)
            report(done, len(written))
    for household in Household.objects.filter(pk__in=[pk for pk, _words in plan.occupied]):
        household.status = Household.Status.OCCUPIED
        services.household_save(household=household, actor=user, reason=reason)
    return plan.counts()


#: The fields an update compares and writes when the file has them, in the preview's order.
_COMPARED = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "relation_to_head",
    "residency_status",
    "medical_history",
]
_CLEARABLE = {"phone", "medical_history"}


@dataclass
class _Shown:
    """In which of the user's grids they may read ID numbers (with birth dates) and medical
    histories in full; everywhere else the preview masks them."""

    id_grids: set[int]
    medical_grids: set[int]

    @classmethod
    def load(cls, user, grid_ids: set[int]) -> "_Shown":
        return cls(
            scope.grids_showing(user, scope.ID_NUMBER, grid_ids),
            scope.grids_showing(user, scope.MEDICAL_HISTORY, grid_ids),
        )

    def hides(self, field: str, grid_ids: set[int]) -> bool:
        if field in ("id_number", "birth_date"):
            return not grid_ids <= self.id_grids
        if field == "medical_history":
            return not grid_ids <= self.medical_grids
        return False

    def id_number(self, id_number: str, grid_id: int) -> str:
        if grid_id in self.id_grids:
            return id_number
        return scope.mask_id_number(id_number)


def _compare(plan: ImportPlan, lookups: "_Lookups", shown: _Shown) -> dict[int, str]:
    """Compare each update with the stored resident, a chunk of residents per query: keep only
    the fields that change, record them (old → new) for the preview, and mark what needs an
    acknowledgement. An update that changes nothing (an exported file imported back) is
    "unchanged". Returns each updated resident's residency status as it will be, by row."""
    statuses = {}
    updates = {r.existing_id: r for r in plan.rows if r.action == "update"}
    ids = list(updates)
    Through = Resident.tags.through
    place_fields = (
        "household__building__grid_id",
        "household__building__address",
        "household__unit",
        "household__floor",
        "household__room",
    )
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        tags: dict[int, set[int]] = {}
        # The IDs as one array parameter on PostgreSQL (see sql.values_among): an IN list of
        # 5,000 took longer to compile and send than its rows took to read.
        for links in sql.values_among(Through.objects.all(), "resident", chunk, chunk=ID_CHUNK):
            for resident_id, tag_id in links.values_list("resident_id", "tag_id"):
                tags.setdefault(resident_id, set()).add(tag_id)
        [stored] = sql.values_among(Resident.objects.all(), "id", chunk, chunk=ID_CHUNK)
        stored = stored.values_list("pk", "version", *_COMPARED, *place_fields)
        for pk, version, *values in stored:
            fields = dict(zip(_COMPARED, values[: len(_COMPARED)], strict=True))
            place = Place(*values[len(_COMPARED) :])
            planned = updates[pk]
            planned.existing_version = version
            status = planned.values.get("residency_status", fields["residency_status"])
            statuses[planned.row] = status
            _compare_row(planned, fields, place, tags.get(pk, set()), lookups, shown)
            if planned.changes:
                plan.column_changes.update(field for field, _old, _new in planned.changes)
            else:
                planned.action = "unchanged"
    return statuses


def _tags_written(planned: PlannedRow) -> AbstractSet[int]:
    """The tags a planned row writes: a new row's from the file; an update's from the file, or
    its stored ones when the file has no tags column (``_compare_row`` fills them in)."""
    if planned.tag_ids is None:
        raise ValueError("an update is applied only after it was compared with the archive")
    return planned.tag_ids


def _compare_row(planned, stored: dict, place: Place, tag_ids: set[int], lookups, shown) -> None:
    grids = {place.grid_id, planned.place.grid_id}
    written, changes, warnings = {}, [], set()
    for name, value in planned.values.items():
        old = stored.get(name, value)
        if name == "medical_history" and not value and shown.hides(name, grids):
            continue  # the user's export left it empty because they may not read it
        if old == value:
            continue
        written[name] = value
        if name in _CLEARABLE and old and not value:
            warnings.add(CLEARING)
        if (
            name == "residency_status"
            and value in Resident.ACTIVE_STATUSES
            and (old not in Resident.ACTIVE_STATUSES)
        ):
            warnings.add(REVIVAL)
        changes.append((name, *_words(name, old, value, lookups, shown.hides(name, grids))))
    planned.values = written
    if planned.tag_ids is None:
        planned.tag_ids = tag_ids  # the file has no tags column: they stay as they are
    elif planned.tag_ids != tag_ids:
        if tag_ids and not planned.tag_ids:
            warnings.add(CLEARING)
        names = lookups.tag_names
        changes.append(
            (
                "tags",
                "、".join(sorted(names[t] for t in tag_ids)),
                "、".join(sorted(names[t] for t in planned.tag_ids)),
            )
        )
    if place != planned.place:
        changes.append(("household", _place_words(place), _place_words(planned.place)))
    planned.changes = changes or ()  # the shared empty tuple for an unchanged row
    planned.warnings = frozenset(warnings) if warnings else _NO_WARNINGS


def _words(name: str, old, new, lookups, hidden: bool) -> tuple[str, str]:
    if hidden:
        return (_("(hidden)") if old else "", _("(hidden)") if new else "")
    labels = lookups.labels.get(name, {})
    return (str(labels.get(old, old or "")), str(labels.get(new, new or "")))


def _place_words(place: Place) -> str:
    _grid, address, unit, floor, room = place
    return f"{address} {unit}-{floor}-{room}"


def _plan_occupied(plan: ImportPlan, places: Places, statuses: dict[int, str]) -> None:
    """Vacant households that get an active resident become occupied."""
    vacant = {
        place: pk
        for place, pk in places.households.items()
        if places.household_status[pk] == Household.Status.VACANT
    }
    occupied = {}
    for planned in plan.rows:
        if planned.place not in vacant or planned.action == "unchanged":
            continue
        status = statuses.get(planned.row, planned.values.get("residency_status"))
        if status in Resident.ACTIVE_STATUSES:
            occupied[vacant[planned.place]] = _place_words(planned.place)
    plan.occupied = sorted(occupied.items())


@dataclass
class _Lookups:
    places: Places
    tags: dict[str, int]  # name or code -> id
    existing: dict[str, tuple[int, int]]  # ID number -> matched resident's (id, grid_id)
    choices: dict[str, dict[str, str]]  # field -> any spelling -> stored value
    tag_names: dict[int, str]
    labels: dict[str, dict[str, str]]  # choice field -> stored value -> label

    @classmethod
    def load(
        cls, table: Table, names: dict[str, list[str]], user, *, id_numbers: Iterable[str]
    ) -> "_Lookups":
        """What the rows refer to, in a few queries. ``id_numbers`` are the rows' ID numbers
        as each row reads them (cleaned: full-width digits, stray spaces), "" where a row has
        none or a wrong one."""
        places = Places.load(column_values(table, names, "grid"), user, for_model=Resident)
        wanted = sorted(set(id_numbers) - {""})
        existing = {}
        for rows in sql.values_among(Resident.objects.all(), "id_number", wanted, chunk=ID_CHUNK):
            existing.update(_matches(rows, places.writable))
        services.residents_elsewhere_record(
            user=user,
            resident_ids=[pk for pk, grid in existing.values() if grid not in places.writable],
        )
        tags, tag_names = {}, {}
        for pk, code, name in Tag.objects.values_list("pk", "code", "name"):
            tags[code] = tags[name] = pk
            tag_names[pk] = name
        labels = {
            name: {value: str(label) for value, label in concrete_field(Resident, name).flatchoices}
            for name in CHOICES
        }
        choices = choice_spellings(Resident, CHOICES)
        return cls(places, tags, existing, choices, tag_names, labels)


def _matches(residents, writable: set[int]) -> dict[str, tuple[int, int]]:
    """The record each ID number updates: the active resident's, wherever they live (a row
    for someone active outside the user's grids is an error, not a second record); failing
    that, the newest moved-out or deceased record in a grid the user writes, so that an
    exported list with such residents imports back unchanged. A record elsewhere of someone
    who has left is history: their row makes a new record."""
    found, active = {}, set()
    rows = residents.order_by("pk").values_list(
        "id_number", "pk", "household__building__grid_id", "residency_status"
    )
    for number, pk, grid_id, status in rows:
        if status in Resident.ACTIVE_STATUSES:
            found[number] = (pk, grid_id)
            active.add(number)
        elif number not in active and grid_id in writable:
            found[number] = (pk, grid_id)
    return found


def _read_id(row: RowReader, *, today: dt.date) -> tuple[str, ResidentIdFacts | None]:
    """The row's ID number and what it says, or ("", None) when the cell is empty or refused
    (the row then says why). ``today``: no birth date may be after it."""
    id_number = row.read("id_number", functools.partial(read_id_number, today=today)) or ""
    # read_id_number has just parsed it: this is a lookup in parse_id_number's cache.
    return id_number, parse_id_number(id_number, today=today) if id_number else None


def _plan_row(
    row: RowReader,
    id_number: str,
    facts: ResidentIdFacts | None,
    lookups: _Lookups,
    first_row_of: dict[str, int],
):
    """A row's values: for a resident not yet in the archive every field (what the file lacks
    takes its default), for one matched by ID number only the fields the row says something
    about (a missing column, or an empty cell where a value cannot be empty, leaves the stored
    value alone). ``id_number`` and ``facts`` are the row's, as ``_read_id`` read them."""
    values: dict[str, Any] = {}
    if not id_number:
        row.error("id_number", _("the ID number is missing"))
    else:
        if id_number in first_row_of:
            row.error(
                "id_number",
                _("the same ID number is also on row %(row)s") % {"row": first_row_of[id_number]},
            )
        else:
            first_row_of[id_number] = row.number
    values["id_number"] = id_number
    existing = id_number in lookups.existing

    values["name"] = row.text("name")
    if not values["name"]:
        row.error("name", _("the name is missing"))
    elif len(values["name"]) > _NAME_MAX_LENGTH:
        row.error("name", _("the name is too long"))

    values["sex"] = _choice(row, lookups, "sex", default=facts.sex if facts else "")
    if facts and values["sex"] and values["sex"] != facts.sex:
        row.error("sex", _("the sex does not match the ID number"))
    values["birth_date"] = _birth_date(row, facts)
    values["ethnicity"] = _choice(row, lookups, "ethnicity", default="han")
    values["relation_to_head"] = _choice(row, lookups, "relation_to_head", default="head")
    values["residency_status"] = _choice(row, lookups, "residency_status", default="registered")
    values["phone"] = row.read("phone", read_phone) or ""
    values["medical_history"] = row.text("medical_history")

    place = read_place(row, lookups.places)
    named = set()
    for tag in filter(None, TAG_SEPARATORS.split(row.text("tags"))):
        if tag in lookups.tags:
            named.add(lookups.tags[tag])
        else:
            row.error("tags", _("unknown tag “%(tag)s”") % {"tag": tag})
    # Most rows name no tag: they share the one empty frozenset (``frozenset(set())`` makes a
    # new one each time: they held 20 MB).
    tag_ids = frozenset(named) if named else _NO_TAGS

    existing_id = None
    if id_number in lookups.existing:
        existing_id, grid_id = lookups.existing[id_number]
        if grid_id not in lookups.places.writable:
            row.error(
                "id_number",
                str(services.RESIDENT_ELSEWHERE),
            )
    if row.failed or place is None:
        return None
    if not existing:
        return PlannedRow(row.number, "new", values, place, tag_ids, existing_id)
    # The fields the row says something about: the name always; a clearable field whenever the
    # file has its column (empty clears it); any other where its cell is not empty.
    columns, cells = row.columns, row.cells
    said = {}
    for key, value in values.items():
        index = columns.get(key)
        if key == "name" or (
            index is not None
            and (key in _CLEARABLE or (index < len(cells) and cells[index] not in (None, "")))
        ):
            said[key] = value
    return PlannedRow(
        row.number, "update", said, place, tag_ids if row.has("tags") else None, existing_id
    )


def _choice(row: RowReader, lookups: _Lookups, key: str, *, default: str) -> str:
    return read_choice(row, Resident, lookups.choices, key, default=default)


def _birth_date(row: RowReader, facts) -> dt.date | None:
    if row.cell("birth_date") in (None, ""):
        return facts.birth_date if facts else None
    day = row.read("birth_date", read_date)
    if day and facts and day != facts.birth_date:
        row.error("birth_date", _("the birth date does not match the ID number"))
    return day
