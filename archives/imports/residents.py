"""Importing residents from a spreadsheet: plan (validate every row, write nothing), then apply
(all rows in one transaction, with history), and nothing at all if any row has an error.

A row names its household by grid code, building address, unit, floor and room; buildings and
households that do not exist yet in the user's grids are created. A row whose ID number
belongs to an active resident in the user's grids updates that resident. Headers are matched
in Chinese or English, as the export writes them, so an exported file imports back unchanged.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from archives import scope, services
from archives.imports.reading import FileRefused, Table, cell_text
from archives.models import Building, Grid, Household, Resident, Tag
from archives.resources import ResidentResource
from archives.spreadsheets import unneutralise
from archives.validators import normalize_id_number, parse_id_number, validate_phone

REQUIRED = ["id_number", "name", "grid", "building", "unit", "floor", "room"]
TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
ID_CHUNK = 5000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    position: int = field(default=0, compare=False, repr=False)  # the column's place in the file


@dataclass
class PlannedRow:
    row: int
    action: str  # "new" / "update" / "unchanged"
    values: dict
    place: tuple  # (grid_id, building address, unit, floor, room)
    tag_ids: set[int]
    existing_id: int | None = None


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def column_names() -> dict[str, list[str]]:
    """Each column's header in every language the portal speaks, as the export writes it."""
    names: dict[str, list[str]] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            resource = ResidentResource()
            for key in ResidentResource._meta.fields:  # the export's columns, in its order
                names.setdefault(key, []).append(str(resource.fields[key].column_name))
    return names


def resident_import_plan(table: Table, *, user) -> ImportPlan:
    columns = _locate_columns(table.headers)
    headers = {key: table.headers[index] for key, index in columns.items()}
    lookups = _Lookups.load(table, columns, user)
    plan = ImportPlan()
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        row = _RowReader(number, cells, columns, headers, plan.errors)
        planned = _plan_row(row, lookups, first_row_of)
        if planned is not None:
            plan.rows.append(planned)
    if plan.errors:
        plan.errors.sort(key=lambda e: (e.row, e.position))
    else:
        _mark_unchanged(plan)
    return plan


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


@transaction.atomic
def resident_import_apply(plan: ImportPlan, *, user, filename: str) -> dict[str, int]:
    """Write a plan without errors: buildings, households, new residents in bulk, updated
    residents one by one (each a history entry), all with the reason "import of FILE"."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = _("import of %(file)s by %(user)s") % {"file": filename, "user": user.get_username()}
    households = _ensure_households(plan, user=user, reason=reason)
    new = [r for r in plan.rows if r.action == "new"]
    services.residents_bulk_create(
        residents=[Resident(household_id=households[r.place], **r.values) for r in new],
        tag_ids=[r.tag_ids for r in new],
        actor=user,
        reason=reason,
    )
    for planned in (r for r in plan.rows if r.action == "update"):
        resident = Resident.objects.get(pk=planned.existing_id)
        for name, value in planned.values.items():
            setattr(resident, name, value)
        resident.household_id = households[planned.place]
        tags = Tag.objects.filter(pk__in=planned.tag_ids)
        services.resident_save(resident=resident, actor=user, tags=list(tags), reason=reason)
    return {action: plan.count(action) for action in ("new", "update", "unchanged")}


# Reading rows ----------------------------------------------------------------------------------


def _locate_columns(headers: list[str]) -> dict[str, int]:
    names = column_names()
    columns = {}
    for key, spellings in names.items():
        for index, header in enumerate(headers):
            if header in spellings or header.lower() in (s.lower() for s in spellings):
                columns[key] = index
                break
    missing = [names[key][0] for key in REQUIRED if key not in columns]
    if missing:
        raise FileRefused(
            _("The header row lacks these columns: %(columns)s. Start from the template.")
            % {"columns": "、".join(missing)}
        )
    return columns


class _RowReader:
    def __init__(self, number, cells, columns, headers, errors) -> None:
        self.number, self.cells, self.columns = number, cells, columns
        self.headers, self.errors = headers, errors
        self.failed = False
        self.bad_columns: set[str] = set()

    def cell(self, key: str):
        index = self.columns.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, key: str) -> str:
        value = cell_text(self.cell(key))
        if value.startswith("="):
            self.error(key, _("formulas are not accepted; type the value itself"))
            return ""
        return unneutralise(value)  # an exported file imports back as it was

    def error(self, key: str, message: str) -> None:
        self.failed = True
        if key in self.bad_columns:
            return  # one problem per cell: the first says what to fix
        self.bad_columns.add(key)
        column = self.headers.get(key, key)
        self.errors.append(RowError(self.number, column, message, self.columns.get(key, 0)))


@dataclass
class _Lookups:
    grids: dict[str, int]  # code -> id, every grid named in the file
    writable: set[int]
    tags: dict[str, int]  # name or code -> id
    buildings: dict[tuple[int, str], tuple[int, int, int]]  # -> (id, units, floors)
    households: dict[tuple, int]  # (grid_id, address, unit, floor, room) -> id
    existing: dict[str, tuple[int, int]]  # active resident's ID number -> (id, grid_id)
    choices: dict[str, dict[str, str]]  # field -> any spelling -> stored value

    @classmethod
    def load(cls, table: Table, columns: dict[str, int], user) -> "_Lookups":
        def column(key):
            index = columns.get(key)
            return {
                cell_text(c[index]) for _n, c in table.rows if index is not None and index < len(c)
            }

        grids = dict(Grid.objects.filter(code__in=column("grid")).values_list("code", "pk"))
        writable = set(
            scope.writable(
                Grid.objects.filter(pk__in=grids.values()), user, for_model=Resident
            ).values_list("pk", flat=True)
        )
        buildings = {
            (b.grid_id, b.address): (b.pk, b.units, b.floors)
            for b in Building.objects.filter(grid_id__in=writable).only(
                "grid_id", "address", "units", "floors"
            )
        }
        households = {
            (h.building.grid_id, h.building.address, h.unit, h.floor, h.room): h.pk
            for h in Household.objects.filter(building__grid_id__in=writable).select_related(
                "building"
            )
        }
        id_numbers = [normalize_id_number(v) for v in column("id_number") if v]
        existing = {}
        for start in range(0, len(id_numbers), ID_CHUNK):
            rows = Resident.objects.filter(
                id_number__in=id_numbers[start : start + ID_CHUNK],
                residency_status__in=Resident.ACTIVE_STATUSES,
            ).values_list("id_number", "pk", "household__building__grid_id")
            existing.update({number: (pk, grid) for number, pk, grid in rows})
        tags = {}
        for pk, code, name in Tag.objects.values_list("pk", "code", "name"):
            tags[code] = tags[name] = pk
        return cls(grids, writable, tags, buildings, households, existing, _choice_spellings())


def _choice_spellings() -> dict[str, dict[str, str]]:
    spellings: dict[str, dict[str, str]] = {}
    for name in ("sex", "ethnicity", "relation_to_head", "residency_status"):
        choices = Resident._meta.get_field(name).choices
        table = spellings.setdefault(name, {})
        for value, label in choices:
            table[value] = value
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    table[str(label)] = value
    return spellings


def _plan_row(row: _RowReader, lookups: _Lookups, first_row_of: dict[str, int]):
    values = {}
    id_number = normalize_id_number(row.text("id_number"))
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
    values["phone"] = row.text("phone")
    if values["phone"]:
        try:
            validate_phone(values["phone"])
        except ValidationError as error:
            row.error("phone", " ".join(error.messages))
    values["medical_history"] = row.text("medical_history")

    place = _place(row, lookups)
    tag_ids = set()
    for tag in filter(None, TAG_SEPARATORS.split(row.text("tags"))):
        if tag in lookups.tags:
            tag_ids.add(lookups.tags[tag])
        else:
            row.error("tags", _("unknown tag “%(tag)s”") % {"tag": tag})

    existing_id = None
    if id_number in lookups.existing:
        existing_id, grid_id = lookups.existing[id_number]
        if grid_id not in lookups.writable:
            row.error(
                "id_number",
                _("an active resident with this ID number lives outside your area"),
            )
    if row.failed:
        return None
    action = "update" if existing_id else "new"
    return PlannedRow(row.number, action, values, place, tag_ids, existing_id)


def _choice(row: _RowReader, lookups: _Lookups, key: str, *, default: str) -> str:
    text = row.text(key)
    if not text:
        return default
    value = lookups.choices[key].get(text)
    if value is None:
        allowed = "、".join(str(label) for _v, label in Resident._meta.get_field(key).choices)
        row.error(
            key, _("“%(text)s” is not one of: %(allowed)s") % {"text": text, "allowed": allowed}
        )
        return default
    return value


def _birth_date(row: _RowReader, facts) -> dt.date | None:
    raw = row.cell("birth_date")
    if raw in (None, ""):
        return facts.birth_date if facts else None
    if isinstance(raw, dt.datetime):
        day = raw.date()
    elif isinstance(raw, dt.date):
        day = raw
    else:
        try:
            day = dt.date.fromisoformat(cell_text(raw).replace("/", "-"))
        except ValueError:
            row.error(
                "birth_date",
                _("“%(text)s” is not a date; write it as 1956-03-14") % {"text": cell_text(raw)},
            )
            return None
    if facts and day != facts.birth_date:
        row.error("birth_date", _("the birth date does not match the ID number"))
    return day


def _place(row: _RowReader, lookups: _Lookups) -> tuple:
    code = row.text("grid")
    grid_id = lookups.grids.get(code)
    if not code:
        row.error("grid", _("the grid code is missing"))
    elif grid_id is None:
        row.error("grid", _("unknown grid code “%(code)s”") % {"code": code})
    elif grid_id not in lookups.writable:
        row.error("grid", _("grid “%(code)s” is outside your area") % {"code": code})
    address = row.text("building")
    if not address:
        row.error("building", _("the building address is missing"))
    numbers = {}
    for key in ("unit", "floor"):
        text = row.text(key)
        try:
            numbers[key] = int(float(text))
            if numbers[key] < 1:
                raise ValueError
        except ValueError:
            row.error(key, _("“%(text)s” is not a whole number from 1 up") % {"text": text})
            numbers[key] = 0
    room = row.text("room")
    if not room:
        row.error("room", _("the room is missing"))
    building = lookups.buildings.get((grid_id, address))
    if building and numbers["unit"] > building[1]:
        row.error("unit", _("the building has only %(n)s units") % {"n": building[1]})
    if building and numbers["floor"] > building[2]:
        row.error("floor", _("the building has only %(n)s floors") % {"n": building[2]})
    return (grid_id, address, numbers["unit"], numbers["floor"], room)


def _ensure_households(plan: ImportPlan, *, user, reason: str) -> dict[tuple, int]:
    places = {r.place for r in plan.rows}
    grid_ids = {p[0] for p in places}
    buildings = {(b.grid_id, b.address): b for b in Building.objects.filter(grid_id__in=grid_ids)}
    sizes = Counter()
    for grid_id, address, unit, floor, _room in places:
        key = (grid_id, address)
        sizes[(key, "units")] = max(sizes[(key, "units")], unit)
        sizes[(key, "floors")] = max(sizes[(key, "floors")], floor)
    new_buildings = [
        Building(
            grid_id=grid_id,
            address=address,
            units=sizes[((grid_id, address), "units")],
            floors=sizes[((grid_id, address), "floors")],
        )
        for grid_id, address in {(p[0], p[1]) for p in places}
        if (grid_id, address) not in buildings
    ]
    for building in services.rows_bulk_create(rows=new_buildings, actor=user, reason=reason):
        buildings[(building.grid_id, building.address)] = building
    existing = {
        (h.building.grid_id, h.building.address, h.unit, h.floor, h.room): h.pk
        for h in Household.objects.filter(building__in=buildings.values()).select_related(
            "building"
        )
    }
    new_households = [
        Household(building=buildings[(p[0], p[1])], unit=p[2], floor=p[3], room=p[4])
        for p in places
        if p not in existing
    ]
    for household in services.rows_bulk_create(rows=new_households, actor=user, reason=reason):
        existing[
            (
                household.building.grid_id,
                household.building.address,
                household.unit,
                household.floor,
                household.room,
            )
        ] = household.pk
    return existing
