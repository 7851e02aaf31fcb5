"""The grid kept on residents and visits (``Resident.grid``, ``Visit.grid``): what scope and
the per-grid counts read instead of joining every household and building.

A single save sets it from the household (``Resident.save``, ``Visit.save``). Bulk writes,
which bypass ``save``, fill it here before they insert or move rows; and saving a household
(it may have moved to another building) or a building (to another grid) rewrites it on the
residents and visits below, in the same transaction. No history entry: the grid is derived
from the household, which the history keeps, and nobody changed those files.
"""

from collections.abc import Mapping, Sequence

from django.db.models import F, OuterRef, QuerySet, Subquery

from archives import sql
from archives.models import Household, Resident, Visit


def grid_keys_fill(
    rows: Sequence[Resident | Visit], *, known: Mapping[int, int] | None = None
) -> None:
    """Set each row's ``grid_id`` from its household's building as stored (one query on
    PostgreSQL, one per few hundred households elsewhere). ``known`` gives the grid of
    households the calling service has just read or created in this transaction
    (``households_ensure``): they are not asked for again (100,000 imported residents spent
    0.3 s of the database's time and 0.5 s of Python's on it)."""
    known = known or {}
    household_ids = sorted(
        {row.household_id for row in rows if row.household_id is not None} - known.keys()
    )
    grid_of = dict(known)
    for households in sql.values_among(
        Household.objects.all(), "id", household_ids, chunk=sql.ID_CHUNK
    ):
        grid_of.update(households.values_list("pk", "building__grid_id"))
    for row in rows:
        row.grid_id = grid_of.get(row.household_id)  # type: ignore[assignment]


def grid_keys_refresh(*, households: QuerySet[Household]) -> None:
    """Give the residents and visits of ``households`` their household's building's grid
    again, where it differs: after a household moved to another building or a building
    moved to another grid. Rows already right are neither written nor locked."""
    grid = Subquery(
        Household.objects.filter(pk=OuterRef("household_id")).values("building__grid_id")
    )
    for model in (Resident, Visit):
        stale = model.objects.filter(household__in=households).exclude(
            grid=F("household__building__grid")
        )
        stale.update(grid=grid)  # history: derived from the household, see the docstring
