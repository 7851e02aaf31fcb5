"""Importing buildings from a spreadsheet: grid code, address, units and floors, and optionally
the building's position (latitude and longitude). Same steps and rules as the other imports:
every row checked first, then all rows or none, with history.

A building that exists in the user's grids (same grid and address) is updated; it cannot be
made smaller than the households already recorded in it. The position is read only from a
file that has both columns: a file without them (an old export, or one whose columns were
deleted) leaves the stored positions as they are, while an empty cell in a present column
clears the building's position, as an empty phone cell clears a resident's phone, after the
user ticks that they mean it.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import cast

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from archives import services
from archives.imports.cleaning import clean_text, read_latitude, read_longitude
from archives.imports.collector import collector_paused
from archives.imports.reading import FileRefused, Table
from archives.imports.rows import (
    CLEARING,
    PROGRESS_EVERY,
    HeaderMatch,
    ImportPlan,
    Places,
    PlannedRow,
    RowReader,
    column_values,
    import_reason,
    plan_creations,
    read_grid,
    read_whole_number,
    resource_column_names,
    rows_of,
    table_header,
)
from archives.models import Building
from archives.places import Place
from archives.resources import BuildingResource

REQUIRED = ["grid", "address", "units", "floors"]
#: Optional columns that come as a pair: a position needs both.
LOCATION = ("latitude", "longitude")
_ADDRESS_MAX_LENGTH = int(Building._meta.get_field("address").max_length or 0)


def column_names() -> dict[str, list[str]]:
    return resource_column_names(BuildingResource)


@collector_paused()
def building_import_plan(table: Table, *, user) -> ImportPlan:
    names = column_names()
    match = table_header(table, names, REQUIRED)
    located = _has_location(table, match)
    places = Places.load(column_values(table, names, "grid"), user, for_model=Building)
    # Each existing building as stored, and the largest unit and floor in use in it: it
    # cannot shrink below them.
    stored: dict[int, dict] = {}
    for pk, units, floors, units_used, floors_used, latitude, longitude in (
        Building.objects.filter(pk__in=[b.pk for b in places.buildings.values()])
        .annotate(units_used=Max("households__unit"), floors_used=Max("households__floor"))
        .values_list("pk", "units", "floors", "units_used", "floors_used", "latitude", "longitude")
    ):
        stored[pk] = {
            "units": units,
            "floors": floors,
            "units_used": units_used or 0,
            "floors_used": floors_used or 0,
            "latitude": latitude,
            "longitude": longitude,
        }
    plan = ImportPlan()
    plan.read_from(table, match)
    first_row_of: dict[tuple, int] = {}
    for row in rows_of(table, names, REQUIRED, plan.errors):
        grid_id = read_grid(row, places)
        address = clean_text(row.text("address"))
        if not address:
            row.error("address", _("the building address is missing"))
        elif len(address) > _ADDRESS_MAX_LENGTH:
            row.error("address", _("the address is too long"))
        elif grid_id in places.writable:  # the stored building however the file spells it
            address = places.address(row, grid_id, address, column="address")
        values: dict[str, int | Decimal | None] = {
            key: read_whole_number(row, key) for key in ("units", "floors")
        }
        if located:
            values.update(_read_location(row))
        existing = places.buildings.get((grid_id, address)) if grid_id is not None else None
        old = stored[existing.pk] if existing else None
        if old:
            if values["units"] and values["units"] < old["units_used"]:
                message = _("households are recorded in unit %(n)s") % {"n": old["units_used"]}
                row.error("units", message)
            if values["floors"] and values["floors"] < old["floors_used"]:
                message = _("households are recorded on floor %(n)s") % {"n": old["floors_used"]}
                row.error("floors", message)
        if row.failed or grid_id is None:
            continue
        if (grid_id, address) in first_row_of:
            message = _("the same building is also on row %(row)s") % {
                "row": first_row_of[(grid_id, address)]
            }
            row.error("address", message)
            continue
        first_row_of[(grid_id, address)] = row.number
        place = Place(grid_id, address, 0, 0, "")  # the building itself: no unit, no room
        if existing is None or old is None:
            plan.rows.append(PlannedRow(row.number, "new", values, place))
            continue
        changes = [
            (key, _words(old[key]), _words(value))
            for key, value in values.items()
            if old[key] != value
        ]
        plan.column_changes.update(key for key, _old, _new in changes)
        clearing = located and old["latitude"] is not None and values["latitude"] is None
        plan.rows.append(
            PlannedRow(
                row.number,
                "update" if changes else "unchanged",
                values,
                place,
                existing_id=existing.pk,
                changes=changes,
                warnings=frozenset({CLEARING}) if clearing else frozenset(),
            )
        )
    plan.finish()
    if not plan.errors:
        plan_creations(plan, places, households=False)
    return plan


def _has_location(table: Table, match: HeaderMatch) -> bool:
    """Whether the file has the position columns; a file with only one of them is refused
    (its rows could neither set a position nor leave the stored one whole)."""
    present = [key for key in LOCATION if match.has(key)]
    if len(present) == 1:
        (key,) = present
        lacking = "longitude" if key == "latitude" else "latitude"
        raise FileRefused(
            _(
                "The file has a “%(header)s” column but no %(lacking)s column: a position needs "
                "both latitude and longitude. Add the missing column, or delete this one to "
                "leave the stored positions as they are."
            )
            % {
                "header": table.headers[match.columns[key]],
                "lacking": column_names()[lacking][0],
            }
        )
    return bool(present)


def _read_location(row: RowReader) -> dict[str, Decimal | None]:
    """The row's latitude and longitude: both, or neither (an empty position)."""
    latitude = row.read("latitude", read_latitude)
    longitude = row.read("longitude", read_longitude)
    if latitude is None and longitude is not None:
        row.error("latitude", _("the latitude is missing: a position needs both coordinates"))
    if longitude is None and latitude is not None:
        row.error("longitude", _("the longitude is missing: a position needs both coordinates"))
    return {"latitude": latitude, "longitude": longitude}


def _words(value) -> str:
    return "" if value is None else str(value)


@collector_paused()
@transaction.atomic
def building_import_apply(
    plan: ImportPlan,
    *,
    user,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a plan without errors: new buildings in bulk, changed ones one by one, each with a
    history entry and the reason "import of FILE". An update writes only the columns the file
    has. ``progress(done, total)`` hears of the rows written so far (a job's progress bar)."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = import_reason(filename=filename, user=user)
    new = [r for r in plan.rows if r.action == "new"]
    updates = [r for r in plan.rows if r.action == "update"]
    report = progress or (lambda done, total: None)
    report(0, len(new) + len(updates))
    services.rows_bulk_create(
        rows=[Building(grid_id=r.place.grid_id, address=r.place.address, **r.values) for r in new],
        actor=user,
        reason=reason,
    )
    for done, planned in enumerate(updates, start=1):
        building = Building.objects.get(pk=cast(int, planned.existing_id))  # an update's row
        for name, value in planned.values.items():  # a position only if the file has one
            setattr(building, name, value)
        services.building_save(building=building, actor=user, reason=reason)
        if done % PROGRESS_EVERY == 0:
            report(len(new) + done, len(new) + len(updates))
    report(len(new) + len(updates), len(new) + len(updates))
    return plan.counts()
