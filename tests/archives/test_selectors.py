"""Dashboard reads (archives/selectors.py): the figures, within scope."""

import datetime as dt

import pytest
from django.utils import timezone

from archives import selectors
from archives.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db


def test_street_counts_now_count_each_street_within_scope(two_grids, admin_user):
    now = timezone.now()
    resident = two_grids["resident"]
    resident.last_verified_at = now - dt.timedelta(days=3)
    resident.save()
    factories.make_resident(grid=two_grids["grid"], name="李明")
    Visit.objects.create(
        grid_member=two_grids["clerk"], household=resident.household, visited_at=now
    )
    old = now - dt.timedelta(days=62)
    Visit.objects.create(
        grid_member=two_grids["clerk"], household=resident.household, visited_at=old
    )

    def figures(user) -> dict:
        grid_streets = selectors.grids_by_street(user)
        rows = selectors.street_counts_now(user, timezone.localdate(now), now, grid_streets).streets
        return {
            f.street.code: (f.grids, f.households, f.residents, f.visits, f.verified_recently)
            for f in rows
        }

    assert figures(admin_user) == {"S1": (1, 2, 2, 1, 1), "S2": (1, 1, 1, 0, 0)}
    assert figures(two_grids["clerk"]) == {"S1": (1, 2, 2, 1, 1)}


def test_grid_counts_now_are_the_granted_grids_only(two_grids):
    [counts] = selectors.grid_counts_now(two_grids["clerk"])
    assert (counts.grid, counts.buildings, counts.households, counts.residents) == (
        two_grids["grid"],
        1,
        1,
        1,
    )
