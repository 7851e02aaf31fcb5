"""Importing residents from a spreadsheet: plan (validate every row, write nothing), then apply
(all rows in one transaction, with history), and nothing at all if any row has an error.

A row names its household by grid code, building address, unit, floor and room; buildings and
households that do not exist yet in the user's grids are created. A row whose ID number
belongs to an active resident in the user's grids updates that resident. Headers are matched
in Chinese or English, as the export writes them, so an exported file imports back unchanged.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from archives import services
from archives.imports.cleaning import CellRefused, read_date, read_id_number, read_phone
from archives.imports.reading import Table
from archives.imports.rows import (
    ID_CHUNK,
    ImportPlan,
    Places,
    PlannedRow,
    RowReader,
    choice_spellings,
    column_values,
    households_ensure,
    import_reason,
    read_choice,
    read_place,
    resource_column_names,
    rows_of,
)
from archives.models import Resident, Tag
from archives.resources import ResidentResource
from archives.validators import parse_id_number

REQUIRED = ["id_number", "name", "grid", "building", "unit", "floor", "room"]
TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
CHOICES = ["sex", "ethnicity", "relation_to_head", "residency_status"]


def column_names() -> dict[str, list[str]]:
    return resource_column_names(ResidentResource)


def resident_import_plan(table: Table, *, user) -> ImportPlan:
    names = column_names()
    lookups = _Lookups.load(table, names, user)
    plan = ImportPlan()
    first_row_of: dict[str, int] = {}
    for row in rows_of(table, names, REQUIRED, plan.errors):
        planned = _plan_row(row, lookups, first_row_of)
        if planned is not None:
            plan.rows.append(planned)
    if plan.errors:
        plan.finish()
    else:
        _mark_unchanged(plan)
    return plan


@transaction.atomic
def resident_import_apply(plan: ImportPlan, *, user, filename: str) -> dict[str, int]:
    """Write a plan without errors: buildings, households, new residents in bulk, updated
    residents one by one (each a history entry), all with the reason "import of FILE"."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = import_reason(filename=filename, user=user)
    households = households_ensure({r.place for r in plan.rows}, user=user, reason=reason)
    new = [r for r in plan.rows if r.action == "new"]
    services.residents_bulk_create(
        residents=[Resident(household_id=households[r.place], **r.values) for r in new],
        tag_ids=[r.tag_ids for r in new],
        actor=user,
        reason=reason,
    )
    updates = [r for r in plan.rows if r.action == "update"]
    for start in range(0, len(updates), ID_CHUNK):  # a chunk at a time: memory stays flat
        chunk = updates[start : start + ID_CHUNK]
        stored = Resident.objects.in_bulk([r.existing_id for r in chunk])
        for planned in chunk:
            resident = stored[planned.existing_id]
            for name, value in planned.values.items():
                setattr(resident, name, value)
            resident.household_id = households[planned.place]
            resident.version = planned.existing_version
        services.residents_bulk_update(
            residents=[stored[r.existing_id] for r in chunk],
            tag_ids=[r.tag_ids for r in chunk],
            actor=user,
            reason=reason,
        )
    return plan.counts()


def _mark_unchanged(plan: ImportPlan) -> None:
    """An update that would change nothing (an exported file imported back) is "unchanged"."""
    updates = {r.existing_id: r for r in plan.rows if r.action == "update"}
    ids = list(updates)
    for start in range(0, len(ids), ID_CHUNK):
        residents = (
            Resident.objects.filter(pk__in=ids[start : start + ID_CHUNK])
            .select_related("household__building")
            .prefetch_related("tags")
        )
        for resident in residents:
            planned = updates[resident.pk]
            planned.existing_version = resident.version
            household = resident.household
            place = (
                household.building.grid_id,
                household.building.address,
                household.unit,
                household.floor,
                household.room,
            )
            same = all(getattr(resident, k) == v for k, v in planned.values.items())
            tags = {tag.pk for tag in resident.tags.all()}
            if same and place == planned.place and tags == planned.tag_ids:
                planned.action = "unchanged"


@dataclass
class _Lookups:
    places: Places
    tags: dict[str, int]  # name or code -> id
    existing: dict[str, tuple[int, int]]  # ID number -> matched resident's (id, grid_id)
    choices: dict[str, dict[str, str]]  # field -> any spelling -> stored value

    @classmethod
    def load(cls, table: Table, names: dict[str, list[str]], user) -> "_Lookups":
        places = Places.load(column_values(table, names, "grid"), user, for_model=Resident)
        id_numbers = [_id_or_blank(v) for v in column_values(table, names, "id_number") if v]
        existing = {}
        for start in range(0, len(id_numbers), ID_CHUNK):
            rows = Resident.objects.filter(id_number__in=id_numbers[start : start + ID_CHUNK])
            existing.update(_matches(rows, places.writable))
        services.residents_elsewhere_record(
            user=user,
            resident_ids=[pk for pk, grid in existing.values() if grid not in places.writable],
        )
        tags = {}
        for pk, code, name in Tag.objects.values_list("pk", "code", "name"):
            tags[code] = tags[name] = pk
        return cls(places, tags, existing, choice_spellings(Resident, CHOICES))


def _id_or_blank(value: str) -> str:
    """An ID number to look up; one the reader refuses is reported on its row instead."""
    try:
        return read_id_number(value)
    except CellRefused:
        return ""


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


def _plan_row(row: RowReader, lookups: _Lookups, first_row_of: dict[str, int]):
    values = {}
    id_number = row.read("id_number", read_id_number) or ""
    facts = None
    if not id_number:
        row.error("id_number", _("the ID number is missing"))
    else:
        try:
            facts = parse_id_number(id_number)
        except ValidationError as error:
            row.error("id_number", " ".join(error.messages))
        if id_number in first_row_of:
            row.error(
                "id_number",
                _("the same ID number is also on row %(row)s") % {"row": first_row_of[id_number]},
            )
        else:
            first_row_of[id_number] = row.number
    values["id_number"] = id_number

    values["name"] = row.text("name")
    if not values["name"]:
        row.error("name", _("the name is missing"))
    elif len(values["name"]) > Resident._meta.get_field("name").max_length:
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
    tag_ids = set()
    for tag in filter(None, TAG_SEPARATORS.split(row.text("tags"))):
        if tag in lookups.tags:
            tag_ids.add(lookups.tags[tag])
        else:
            row.error("tags", _("unknown tag “%(tag)s”") % {"tag": tag})

    existing_id = None
    if id_number in lookups.existing:
        existing_id, grid_id = lookups.existing[id_number]
        if grid_id not in lookups.places.writable:
            row.error(
                "id_number",
                str(services.RESIDENT_ELSEWHERE),
            )
    if row.failed:
        return None
    action = "update" if existing_id else "new"
    return PlannedRow(row.number, action, values, place, tag_ids, existing_id)


def _choice(row: RowReader, lookups: _Lookups, key: str, *, default: str) -> str:
    return read_choice(row, Resident, lookups.choices, key, default=default)


def _birth_date(row: RowReader, facts) -> dt.date | None:
    if row.cell("birth_date") in (None, ""):
        return facts.birth_date if facts else None
    day = row.read("birth_date", read_date)
    if day and facts and day != facts.birth_date:
        row.error("birth_date", _("the birth date does not match the ID number"))
    return day
