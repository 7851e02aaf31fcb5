"""A seeded city with a month of patrol rounds, and its patrol figures worked out by plain
loops over the rows (sharing no code with ``patrols.selectors`` or ``exports.selectors``).

Two streets, five grids; buildings with a position on the map and some without; rounds of
random length on random days (some of a member in a grid that is not theirs, one before the
month); buildings each round passed; visits whose member's points pass the building then
(on-track), pass far away (off-track), or with no round then or no position (no track).
"""

import datetime as dt
import math
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from archives.models import Building, Grid, Household, Visit
from patrols.models import Patrol, PatrolBuilding, TrackPoint
from portal.roles import GRID_MEMBER
from tests import factories

ZONE = ZoneInfo("Asia/Shanghai")
NOVEMBER = dt.date(2026, 11, 1)
START = dt.datetime(2026, 11, 1, tzinfo=ZONE)
END = dt.datetime(2026, 12, 1, tzinfo=ZONE)
#: When the city is built: its archive's history begins before the month.
OCTOBER = dt.datetime(2026, 10, 20, 9, tzinfo=ZONE)
#: When the figures are computed: after the month, so it is all history.
DECEMBER = dt.datetime(2026, 12, 3, 9, tzinfo=ZONE)
WINDOW = dt.timedelta(minutes=30)
ON_TRACK_M = 100


def build_patrol_city(seed: int = 7) -> None:
    rng = random.Random(seed)
    grids = [factories.make_grid(code=f"PG{n}", street_code=f"PS{n % 2}") for n in range(1, 6)]
    members = {}
    for grid in grids:
        for k in range(rng.randint(1, 2)):
            member = factories.make_user(f"{grid.code}-m{k}", role=GRID_MEMBER)
            grid.members.add(member)
            members.setdefault(grid.pk, []).append(member)
        for b in range(rng.randint(3, 6)):
            building = factories.make_building(grid=grid, address=f"{grid.code}-{b}号")
            if grid.code == "PG5" or rng.random() < 0.25:
                continue  # PG5 is not on the map at all
            building.latitude = Decimal(f"{30 + grid.pk * 0.01 + b * 0.002:.6f}")
            building.longitude = Decimal(f"{120 + b * 0.002:.6f}")
            building.save()
        for building in rng.sample(list(grid.buildings.all()), 3):
            factories.make_household(building=building)
    all_members = [m for ms in members.values() for m in ms]
    point_id = 0
    for grid in grids:
        households = list(Household.objects.filter(building__grid=grid).select_related("building"))
        for _ in range(rng.randint(2, 7)):
            # Mostly the grid's own members, now and then another grid's.
            member = rng.choice(members[grid.pk] if rng.random() < 0.8 else all_members)
            day = rng.randint(0, 29) if rng.random() < 0.9 else -1  # -1: 31 October
            started = START + dt.timedelta(days=day, hours=rng.randint(8, 16))
            ended = started + dt.timedelta(minutes=rng.randint(20, 90))
            patrol = Patrol.objects.create(
                member=member,
                grid=grid,
                state=Patrol.State.ENDED,
                started_at=started,
                ended_at=ended,
                distance_m=rng.randint(300, 6000),
            )
            mapped = [b for b in grid.buildings.all() if b.latitude is not None]
            for building in rng.sample(mapped, rng.randint(0, len(mapped))):
                PatrolBuilding.objects.create(patrol=patrol, building=building)
            # Visits during the round: near its points, far from them, or with no position.
            for household in rng.sample(households, rng.randint(0, 3)):
                at = started + (ended - started) / 2
                Visit.objects.create(grid_member=member, household=household, visited_at=at)
                building = household.building
                if building.latitude is None:
                    continue
                far = rng.random() < 0.4
                lat = float(building.latitude) + (0.01 if far else 0.0001)
                point_id += 1
                TrackPoint.objects.create(
                    patrol=patrol,
                    member=member,
                    client_id=point_id,
                    recorded_at=at + dt.timedelta(minutes=rng.randint(-20, 20)),
                    latitude=lat,
                    longitude=float(building.longitude),
                    accuracy_m=8,
                )
        # Visits with no round near them.
        for household in rng.sample(households, 2):
            member = members[grid.pk][0]
            at = START + dt.timedelta(days=rng.randint(0, 29), hours=20)
            Visit.objects.create(grid_member=member, household=household, visited_at=at)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = (lat2 - lat1) * 111_195
    east = (lon2 - lon1) * 111_195 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


def _on_track(visit: Visit) -> str:
    building = visit.household.building
    if building.latitude is None:
        return "none"
    at = visit.visited_at
    rounds = [
        p
        for p in Patrol.objects.filter(member=visit.grid_member)
        if p.started_at <= at + WINDOW and (p.ended_at is None or p.ended_at >= at - WINDOW)
    ]
    if not rounds:
        return "none"
    for point in TrackPoint.objects.filter(member=visit.grid_member):
        near_in_time = at - WINDOW <= point.recorded_at <= at + WINDOW
        near = (
            _metres(
                float(building.latitude), float(building.longitude), point.latitude, point.longitude
            )
            <= ON_TRACK_M
        )
        if point.flag == TrackPoint.Flag.PLAUSIBLE and near_in_time and near:
            return "on"
    return "off"


def expected_patrols(*, grid: Grid | None = None, member=None) -> dict:
    """The month's patrol figures of ``grid`` (its rounds, and the visits to its households)
    or of ``member`` (their rounds and visits in the city's grids, the buildings they passed
    in their own grids), one row at a time."""
    rounds = [
        p
        for p in Patrol.objects.all()
        if START <= p.started_at < END
        and (grid is None or p.grid_id == grid.pk)
        and (member is None or p.member_id == member.pk)
    ]
    visits = [
        v
        for v in Visit.objects.select_related("household__building")
        if START <= v.visited_at < END
        and (grid is None or v.household.building.grid_id == grid.pk)
        and (member is None or v.grid_member_id == member.pk)
    ]
    # A member's: the buildings of the grids they work that they passed.
    own_grids = {g.pk for g in member.grids.all()} if member is not None else None
    covered = {
        pb.building_id
        for p in rounds
        if own_grids is None or p.grid_id in own_grids
        for pb in PatrolBuilding.objects.filter(patrol=p)
    }
    checks = [_on_track(v) for v in visits]
    return {
        "days": len({timezone.localtime(p.started_at, ZONE).date() for p in rounds}),
        "rounds": len(rounds),
        "distance_m": sum(p.distance_m for p in rounds),
        "buildings_covered": len(covered),
        "visits": len(visits),
        "visits_on_track": checks.count("on"),
        "_off": checks.count("off"),
        "_buildings_mapped": (
            Building.objects.filter(grid=grid, latitude__isnull=False).count() if grid else None
        ),
    }
