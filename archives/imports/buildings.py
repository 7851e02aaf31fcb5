"""Importing buildings from a spreadsheet: grid code, address, units and floors. Same steps and
rules as the other imports: every row checked first, then all rows or none, with history.

A building that exists in the user's grids (same grid and address) is updated; it cannot be
made smaller than the households already recorded in it.
"""

from typing import cast

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from archives import services
from archives.imports.cleaning import clean_text
from archives.imports.reading import Table
from archives.imports.rows import (
    ImportPlan,
    Places,
    PlannedRow,
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
_ADDRESS_MAX_LENGTH = int(Building._meta.get_field("address").max_length or 0)


def column_names() -> dict[str, list[str]]:
    return resource_column_names(BuildingResource)


def building_import_plan(table: Table, *, user) -> ImportPlan:
    names = column_names()
    places = Places.load(column_values(table, names, "grid"), user, for_model=Building)
    # The largest unit and floor in use in each existing building: it cannot shrink below them.
    in_use = {
        pk: (units or 0, floors or 0)
        for pk, units, floors in Building.objects.filter(
            pk__in=[b.pk for b in places.buildings.values()]
        )
        .annotate(units_used=Max("households__unit"), floors_used=Max("households__floor"))
        .values_list("pk", "units_used", "floors_used")
    }
    plan = ImportPlan()
    plan.read_from(table, table_header(table, names, REQUIRED))
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
        values = {key: read_whole_number(row, key) for key in ("units", "floors")}
        existing = places.buildings.get((grid_id, address)) if grid_id is not None else None
        if existing:
            units_used, floors_used = in_use[existing.pk]
            if values["units"] and values["units"] < units_used:
                message = _("households are recorded in unit %(n)s") % {"n": units_used}
                row.error("units", message)
            if values["floors"] and values["floors"] < floors_used:
                message = _("households are recorded on floor %(n)s") % {"n": floors_used}
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
        if existing is None:
            action, existing_id = "new", None
        else:
            existing_id = existing.pk
            same = (existing.units, existing.floors) == (values["units"], values["floors"])
            action = "unchanged" if same else "update"
        place = Place(grid_id, address, 0, 0, "")  # the building itself: no unit, no room
        plan.rows.append(PlannedRow(row.number, action, values, place, existing_id=existing_id))
    plan.finish()
    if not plan.errors:
        plan_creations(plan, places, households=False)
    return plan


@transaction.atomic
def building_import_apply(plan: ImportPlan, *, user, filename: str) -> dict[str, int]:
    """Write a plan without errors: new buildings in bulk, changed ones one by one, each with a
    history entry and the reason "import of FILE"."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = import_reason(filename=filename, user=user)
    services.rows_bulk_create(
        rows=[
            Building(grid_id=r.place.grid_id, address=r.place.address, **r.values)
            for r in plan.rows
            if r.action == "new"
        ],
        actor=user,
        reason=reason,
    )
    for planned in (r for r in plan.rows if r.action == "update"):
        building = Building.objects.get(pk=cast(int, planned.existing_id))  # an update's row
        building.units, building.floors = planned.values["units"], planned.values["floors"]
        services.building_save(building=building, actor=user, reason=reason)
    return plan.counts()
