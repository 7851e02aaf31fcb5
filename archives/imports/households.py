"""Importing households (dwellings) from a spreadsheet, residents or not: how vacant and rented
homes enter the archive. Same steps and rules as the resident import: every row checked first,
then all rows or none, with history.

A row is one household: grid code, building address, unit, floor, room and status. A household
that exists in the user's grids is updated (its status); buildings and households that do not
exist yet are created there.
"""

from collections.abc import Callable
from typing import cast

from django.db import transaction
from django.utils.translation import gettext as _

from archives import services
from archives.imports.collector import collector_paused
from archives.imports.reading import Table
from archives.imports.rows import (
    PROGRESS_EVERY,
    ImportPlan,
    Places,
    PlannedRow,
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
from archives.models import Household
from archives.resources import HouseholdResource

REQUIRED = ["grid", "building", "unit", "floor", "room"]


def column_names() -> dict[str, list[str]]:
    return resource_column_names(HouseholdResource)


@collector_paused()
def household_import_plan(table: Table, *, user) -> ImportPlan:
    names = column_names()
    places = Places.load(column_values(table, names, "grid"), user, for_model=Household)
    statuses = choice_spellings(Household, ["status"])
    labels = {value: str(label) for value, label in Household.Status.choices}
    stored = dict(
        Household.objects.filter(pk__in=places.households.values()).values_list("pk", "status")
    )
    plan = ImportPlan()
    plan.read_from(table, table_header(table, names, REQUIRED))
    first_row_of: dict[tuple, int] = {}
    for row in rows_of(table, names, REQUIRED, plan.errors):
        place = read_place(row, places)
        status = read_choice(row, Household, statuses, "status", default=Household.Status.OCCUPIED)
        if row.failed or place is None:
            continue
        if place in first_row_of:
            message = _("the same household is also on row %(row)s") % {"row": first_row_of[place]}
            row.error("room", message)
            continue
        first_row_of[place] = row.number
        existing_id = places.households.get(place)
        changes = []
        if existing_id is None:
            action = "new"
        elif stored[existing_id] == status:
            action = "unchanged"
        else:
            action = "update"
            changes = [("status", labels[stored[existing_id]], labels[status])]
            plan.column_changes["status"] += 1
        values = {"status": status}
        plan.rows.append(
            PlannedRow(row.number, action, values, place, existing_id=existing_id, changes=changes)
        )
    plan.finish()
    if not plan.errors:
        plan_creations(plan, places)
    return plan


@collector_paused()
@transaction.atomic
def household_import_apply(
    plan: ImportPlan,
    *,
    user,
    filename: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a plan without errors: new buildings and households in bulk, changed households
    one by one, each with a history entry and the reason "import of FILE". ``progress(done,
    total)`` hears of the rows written so far (a job's progress bar)."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    reason = import_reason(filename=filename, user=user)
    new = {r.place: r.values["status"] for r in plan.rows if r.action == "new"}
    updates = [r for r in plan.rows if r.action == "update"]
    report = progress or (lambda done, total: None)
    report(0, len(new) + len(updates))
    services.households_ensure(places=set(new), actor=user, reason=reason, status_of=new)
    for done, planned in enumerate(updates, start=1):
        household = Household.objects.get(pk=cast(int, planned.existing_id))  # an update's row
        household.status = planned.values["status"]
        services.household_save(household=household, actor=user, reason=reason)
        if done % PROGRESS_EVERY == 0:
            report(len(new) + done, len(new) + len(updates))
    report(len(new) + len(updates), len(new) + len(updates))
    return plan.counts()
