"""The demo city's map: every building placed in rows inside its grid's block, the grids inside
their community's, the communities inside their street's district around the old town, the
same for the same seed, and visits logged near the building visited."""

import datetime as dt
import itertools
import math
from collections import defaultdict
from decimal import Decimal

import pytest

from archives.demo.city import CitySize, demo_city_seed
from archives.demo.map import PITCH, Block, LatLon, TownMap, metres_of, moved, position
from archives.models import Building, Grid, Visit
from portal.demo import demo_roles

TODAY = dt.date(2026, 11, 26)
#: Two streets, the first with two communities of three and two grids, the second with one.
SHAPE = ((0, 0), (0, 0), (0, 0), (0, 1), (0, 1), (1, 2))


def inside(block: Block, outer: Block) -> bool:
    return (
        outer.west <= block.west
        and block.west + block.width <= outer.west + outer.width + 1e-6
        and outer.south <= block.south
        and block.south + block.height <= outer.south + outer.height + 1e-6
    )


def overlap(a: Block, b: Block) -> bool:
    return (
        a.west < b.west + b.width - 1e-6
        and b.west < a.west + a.width - 1e-6
        and a.south < b.south + b.height - 1e-6
        and b.south < a.south + a.height - 1e-6
    )


def test_a_point_moved_by_metres_is_that_far_away():
    here = position(0, 0)
    there = moved(here, east=30, north=40)
    (x0, y0), (x1, y1) = metres_of(here), metres_of(there)
    assert math.dist((x0, y0), (x1, y1)) == pytest.approx(50, abs=0.2)
    assert here == LatLon(Decimal("42.904800"), Decimal("129.513300"))


def test_grids_lie_in_their_community_and_communities_in_their_street():
    town = TownMap(seed=1, grids=SHAPE, buildings_per_grid=12)
    grids = [town.grid_block(g) for g in range(len(SHAPE))]
    for grid, (street, community) in zip(grids, SHAPE, strict=True):
        assert inside(grid, town.community_block(community))
        assert inside(town.community_block(community), town.street_block(street))
    for a, b in itertools.combinations(grids, 2):
        assert not overlap(a, b)
    assert not overlap(town.street_block(0), town.street_block(1))
    # The old town in the middle belongs to no street.
    for street in (0, 1):
        assert not inside(Block(-1, -1, 2, 2), town.street_block(street))


def test_a_grids_buildings_stand_in_rows_30_to_60_m_apart_inside_its_block():
    town = TownMap(seed=1, grids=SHAPE, buildings_per_grid=12)
    for grid in range(len(SHAPE)):
        block = town.grid_block(grid)
        points = [metres_of(town.building(grid, n)) for n in range(12)]
        for x, y in points:
            assert block.west < x < block.west + block.width
            assert block.south < y < block.south + block.height
        nearest = [min(math.dist(p, q) for q in points if q is not p) for p in points]
        assert all(PITCH[0] - 0.5 <= d <= PITCH[1] + 0.5 for d in nearest)


def test_the_same_seed_lays_out_the_same_town_and_another_seed_another():
    first = TownMap(seed=1, grids=SHAPE, buildings_per_grid=12)
    again = TownMap(seed=1, grids=SHAPE, buildings_per_grid=12)
    other = TownMap(seed=2, grids=SHAPE, buildings_per_grid=12)
    where = [first.building(g, n) for g in range(len(SHAPE)) for n in range(12)]
    assert where == [again.building(g, n) for g in range(len(SHAPE)) for n in range(12)]
    assert where != [other.building(g, n) for g in range(len(SHAPE)) for n in range(12)]


@pytest.mark.django_db
def test_every_demo_building_stands_on_the_map_apart_from_the_others():
    size = CitySize(residents=900, grids=6, streets=2, history_months=1)
    demo_city_seed(seed=5, size=size, today=TODAY, roles=demo_roles())
    buildings = list(Building.objects.order_by("grid__code", "pk"))
    assert buildings and all(b.latitude is not None and b.longitude is not None for b in buildings)
    for building in buildings:
        building.full_clean()  # within range, both given
    points = [metres_of(LatLon(b.latitude, b.longitude)) for b in buildings]
    assert all(math.dist(p, (0, 0)) < 10_000 for p in points)  # a town, not a province
    for p, q in itertools.combinations(points, 2):
        assert math.dist(p, q) >= PITCH[0] - 0.5
    # Each grid's buildings are close together: a grid is a few hundred metres across.
    by_grid = defaultdict(list)
    for building, point in zip(buildings, points, strict=True):
        by_grid[building.grid_id].append(point)
    for grid_points in by_grid.values():
        assert max(math.dist(p, q) for p in grid_points for q in grid_points) < 1_000
    assert len(by_grid) == Grid.objects.count()


@pytest.mark.django_db
def test_a_located_visit_was_logged_near_the_building_visited():
    size = CitySize(residents=600, grids=3, streets=1, history_months=1)
    demo_city_seed(seed=5, size=size, today=TODAY, roles=demo_roles())
    visits = Visit.objects.filter(latitude__isnull=False).select_related("household__building")
    assert visits.exists()
    for visit in visits:
        building = visit.household.building
        at_door = metres_of(LatLon(visit.latitude, visit.longitude))
        assert math.dist(at_door, metres_of(LatLon(building.latitude, building.longitude))) < 60
