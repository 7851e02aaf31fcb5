"""The report's set-based figures for a seeded city against a plain per-grid computation.

The seed's past ends today, so this month's end is today's archive: the loops below read the
live tables one grid, household and resident at a time, sharing no code with the report.
"""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from archives.demo.city import CitySize, demo_city_seed
from archives.models import Building, Grid, Household, Resident, Visit
from archives.months import month_bounds
from archives.selectors import RESIDENT_REQUIRED_FIELDS
from exports.selectors import month_figures
from portal.demo import demo_roles

TODAY = dt.date(2026, 10, 20)
SMALL = CitySize(residents=1500, grids=6, streets=2)


def _expected(grid: Grid, start: dt.datetime, following: dt.datetime) -> dict:
    """This month's figures of ``grid`` read from the live tables (called at month's now)."""
    residents = list(
        Resident.objects.filter(household__building__grid=grid).prefetch_related("tags")
    )
    active = [r for r in residents if r.is_active]
    visits = list(
        Visit.objects.filter(
            household__building__grid=grid, visited_at__gte=start, visited_at__lt=following
        )
    )
    visits_to: dict[int, int] = {}
    for visit in visits:
        visits_to[visit.household_id] = visits_to.get(visit.household_id, 0) + 1
    needing = covered = 0
    for household in Household.objects.filter(building__grid=grid):
        needed = max(
            (
                tag.needs_visits_per_month
                for r in active
                if r.household_id == household.pk
                for tag in r.tags.all()
            ),
            default=0,
        )
        if needed:
            needing += 1
            covered += visits_to.get(household.pk, 0) >= needed
    since = min(following, timezone.now()) - dt.timedelta(days=180)
    return {
        "residents": len(active),
        "households": Household.objects.filter(building__grid=grid).count(),
        "buildings": Building.objects.filter(grid=grid).count(),
        # Files whose creation entry is dated this month (families that moved in).
        "new": sum(
            r.history.filter(
                history_type="+", history_date__gte=start, history_date__lt=following
            ).exists()
            for r in residents
        ),
        "complete": sum(all(getattr(r, f) for f in RESIDENT_REQUIRED_FIELDS) for r in active),
        "verified_recently": sum(
            bool(r.last_verified_at and r.last_verified_at >= since) for r in active
        ),
        "visits": len(visits),
        "households_visited": len(visits_to),
        "households_needing": needing,
        "households_covered": covered,
    }


@pytest.mark.django_db
def test_it_agrees_with_a_per_grid_computation_on_a_seeded_city():
    moment = dt.datetime.combine(TODAY, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        demo_city_seed(seed=11, size=SMALL, today=TODAY, roles=demo_roles())
        figures = month_figures(TODAY)
        start, following = month_bounds(TODAY)
        assert len(figures.grids) == SMALL.grids
        for row in figures.grids:
            expected = _expected(Grid.objects.get(pk=row.grid_id), start, following)
            got = {name: getattr(row.counts, name) for name in expected}
            assert got == expected, row.code
    assert sum(r.counts.visits for r in figures.grids) == figures.total.visits > 0
    assert figures.total.households_needing > 0
