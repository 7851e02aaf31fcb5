"""A month's patrol figures against plain loops over the rows of a small seeded city."""

import datetime as dt
import random
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from archives.models import Building, Visit
from patrols import services
from patrols.geometry import Position, distance_m
from patrols.models import Patrol, PatrolBuilding, TrackPoint
from patrols.selectors import patrol_month_counts
from tests import factories
from tests.patrols.conftest import walk

NOVEMBER = timezone.make_aware(dt.datetime(2026, 11, 1))
DECEMBER = timezone.make_aware(dt.datetime(2026, 12, 1))


def seeded_city(rng: random.Random):
    """Two grids with two members each, buildings on a 60 m lattice, rounds on random days
    (some in October and December, outside the month) and visits near and far from them."""
    members, buildings = [], defaultdict(list)
    for g in range(2):
        grid = factories.make_grid(code=f"M{g}", street_code="MS")
        for b in range(6):
            building = factories.make_building(grid=grid, address=f"M{g}路{b}号")
            building.latitude = 30.0 + g * 0.01 + (b // 3) * 0.00054
            building.longitude = 120.0 + (b % 3) * 0.00062
            building.save()
            factories.make_household(building=building)
            buildings[grid.pk].append(building)
        for m in range(2):
            member = factories.make_user(f"m{g}{m}", role="grid member")
            grid.members.add(member)
            factories.grant(member, grid)
            members.append((member, grid))
    for member, grid in members:
        for day in rng.sample(range(-3, 33), 12):
            start = NOVEMBER + dt.timedelta(days=day, hours=rng.randint(7, 15))
            patrol = services.patrol_start(actor=member, grid=grid, at=start)
            home = buildings[grid.pk][rng.randrange(6)]
            positions = [
                (
                    float(home.latitude) + rng.uniform(-0.0015, 0.0015) * i / 20,
                    float(home.longitude) + rng.uniform(-0.0015, 0.0015) * i / 20,
                )
                for i in range(20)
            ]
            end = start + dt.timedelta(minutes=40)
            services.patrol_points_record(
                patrol=patrol, actor=member, points=walk(start, positions, every_s=120), now=end
            )
            services.patrol_end(patrol=patrol, actor=member, at=end)
            for _visit in range(rng.randint(0, 3)):
                building = rng.choice(buildings[grid.pk])
                Visit.objects.create(
                    grid_member=member,
                    household=building.households.get(),
                    visited_at=start + dt.timedelta(minutes=rng.randint(-60, 100)),
                )
    return members


def _by_loops():
    local = timezone.get_current_timezone()
    in_month = [p for p in Patrol.objects.all() if NOVEMBER <= p.started_at < DECEMBER]
    figures = defaultdict(lambda: defaultdict(int))
    days = defaultdict(set)
    covered = defaultdict(set)
    for patrol in in_month:
        for key in (("grid", patrol.grid_id), ("member", patrol.member_id)):
            figures[key]["rounds"] += 1
            figures[key]["distance_m"] += patrol.distance_m
            days[key].add(patrol.started_at.astimezone(local).date())
            for passed in PatrolBuilding.objects.filter(patrol=patrol):
                covered[key].add(passed.building_id)
    for key in days:
        figures[key]["days"] = len(days[key])
        figures[key]["buildings_covered"] = len(covered[key])
    window = dt.timedelta(minutes=settings.PATROL_ON_TRACK_MINUTES)
    for visit in Visit.objects.filter(visited_at__gte=NOVEMBER, visited_at__lt=DECEMBER):
        building = Building.objects.get(households=visit.household_id)
        place = Position(float(building.latitude), float(building.longitude))
        had_round = any(
            p.member_id == visit.grid_member_id
            and p.started_at <= visit.visited_at + window
            and p.ended_at >= visit.visited_at - window
            for p in Patrol.objects.all()
        )
        near = any(
            abs(point.recorded_at - visit.visited_at) <= window
            and distance_m(Position(point.latitude, point.longitude), place)
            <= settings.PATROL_ON_TRACK_METRES
            for point in TrackPoint.objects.filter(
                member_id=visit.grid_member_id, flag=TrackPoint.Flag.PLAUSIBLE
            )
        )
        for key in (("grid", building.grid_id), ("member", visit.grid_member_id)):
            figures[key]["visits"] += 1
            if had_round and near:
                figures[key]["visits_on_track"] += 1
            elif had_round:
                figures[key]["visits_off_track"] += 1
    return figures


def test_month_figures_match_plain_loops_over_the_rows(db):
    seeded_city(random.Random(18))
    month = patrol_month_counts(start=NOVEMBER, end=DECEMBER)
    expected = _by_loops()
    computed = {("grid", k): v for k, v in month.by_grid.items()}
    computed |= {("member", k): v for k, v in month.by_member.items()}
    assert set(computed) == set(expected)
    for key, counts in computed.items():
        assert {name: getattr(counts, name) for name in counts.__dataclass_fields__} == {
            name: expected[key][name] for name in counts.__dataclass_fields__
        }, key
    # The city is not trivial: every kind of visit happened.
    totals = defaultdict(int)
    for counts in month.by_grid.values():
        for name in counts.__dataclass_fields__:
            totals[name] += getattr(counts, name)
    unchecked = totals["visits"] - totals["visits_on_track"] - totals["visits_off_track"]
    assert totals["visits_on_track"] and totals["visits_off_track"] and unchecked
    assert totals["buildings_covered"] and totals["days"] < totals["rounds"] * 2


def test_month_figures_take_the_same_queries_for_more_grids(db, django_assert_num_queries):
    seeded_city(random.Random(3))
    with django_assert_num_queries(4):
        patrol_month_counts(start=NOVEMBER, end=DECEMBER)
    with django_assert_num_queries(4):
        patrol_month_counts(start=NOVEMBER, end=DECEMBER, grid_ids=[0])
