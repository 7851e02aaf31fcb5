"""The demo city's patrol rounds: a month of them for every grid member. Each round's points
are written in bulk (a day's at a time: points have no history) and the round is ended through
``patrol_end``, so its distance, flags, line and buildings passed are what a real round's
would be.

On most working days a member walks a morning round through their grid: from building to
building, at the doors of the households they visit that morning at the times the visits are
logged (the city's visits are made mostly between 9:00 and 9:45), past other buildings in
between. The phone reports a position every 30–60 s, a few metres off; now and then one is
reported inaccurate, or jumps hundreds of metres (both flagged, left out of the distance).
Now and then a member spends the round at the community office, 320 m from the grid, and logs
the morning's visits from there: those visits are off-track. Visits on days without a round
(weekends, days off, afternoons) are unchecked. Deterministic for a seed.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from archives.model_meta import history_attribution_set, history_manager
from archives.models import Building, Grid, Visit
from patrols.geometry import Position, offset_by, offset_m
from patrols.models import Patrol, PatrolBuilding, TrackingDevice, TrackPoint
from patrols.services import patrol_end
from patrols.sql import PointRow, track_points_insert

#: The month of rounds: the days before today.
DAYS = 30
#: Share of working days a member walks a round.
ROUND_DAYS = 0.8
#: A position every 30–60 s (the phone page's range is 20–60 s; the demo keeps to the
#: sparser half so that seeding stays quick).
EVERY_S = (30, 60)
#: Walking speed, metres a second, and how far a phone's position strays (one sigma, metres).
WALK_MPS = 1.1
JITTER_M = 3.0
#: Shares of points reported inaccurate (flagged) and of points that jump (flagged too fast).
INACCURATE, JUMPS = 0.02, 0.005
#: Share of round days a member spends the round at the community office, 320 m from the
#: grid, logging the morning's visits from there: those visits are off-track.
AT_THE_OFFICE, AWAY_M = 0.07, 320.0
#: How long a member stays at a door.
AT_THE_DOOR = dt.timedelta(minutes=4)
ROUND_FROM = dt.time(8, 55)
ROUND_UNTIL = dt.time(9, 50)


@dataclass(frozen=True)
class _Stop:
    """Where the member is at a moment: (metres east, metres north) of the grid's centre."""

    at: dt.datetime
    east: float
    north: float


def demo_patrols_reset() -> None:
    """Remove every round with its points, buildings passed and history, and every tracking
    device: demo data only, before the city (rounds hold on to its members and grids)."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        TrackPoint.objects.all().delete()
        PatrolBuilding.objects.all().delete()
        Patrol.objects.all().delete()
        TrackingDevice.objects.all().delete()
    history_manager(Patrol).all().delete()
    history_manager(TrackingDevice).all().delete()


@transaction.atomic
def demo_patrols_seed(*, seed: int, today: dt.date) -> int:
    """A morning round on most working days of the last ``DAYS`` days for every grid member,
    around the visits they logged; returns how many rounds."""
    rng = random.Random(f"{seed}:patrols")
    tz = timezone.get_current_timezone()
    first = today - dt.timedelta(days=DAYS)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    memberships = sorted(Grid.members.through.objects.values_list("user_id", "grid_id"))
    members = get_user_model().objects.in_bulk([m for m, _g in memberships])
    places = _places(grid_ids={g for _m, g in memberships})
    visits: dict[tuple[int, dt.date], list[tuple[dt.datetime, int]]] = defaultdict(list)
    for member_id, at, building_id in (
        Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
        .order_by("visited_at", "pk")
        .values_list("grid_member_id", "visited_at", "household__building_id")
    ):
        visits[member_id, timezone.localdate(at)].append((at, building_id))
    rounds = 0
    points: list[tuple] = []
    for n in range(DAYS):
        day = first + dt.timedelta(days=n)
        if day.weekday() >= 5:
            continue
        walkers = [(m, g) for m, g in memberships if g in places and rng.random() < ROUND_DAYS]
        opened = _rounds_opened(walkers, members, day, rng, tz)
        walked = []
        for patrol in opened:
            grid = places[patrol.grid_id]
            morning = [
                (at, grid.doors[b])
                for at, b in visits.get((patrol.member_id, day), [])
                if b in grid.doors and patrol.started_at < at < _round_end(patrol, tz)
            ]
            stops = _route(patrol, morning, list(grid.doors.values()), rng, tz)
            walked.append((patrol, stops[-1].at))
            points += _points(patrol, stops, grid.centre, rng)
        # Points have no history: stored as patrol_points_record stores them, flags set alike.
        track_points_insert([PointRow(*row) for row in points])
        points = []
        for patrol, ended_at in walked:
            patrol_end(patrol=patrol, actor=members[patrol.member_id], at=ended_at)
        rounds += len(opened)
    _history_dated(start)
    return rounds


@dataclass(frozen=True)
class _GridMap:
    """A grid's buildings in metres east and north of their middle (``centre``, degrees)."""

    centre: tuple[float, float]
    doors: dict[int, tuple[float, float]]


def _places(*, grid_ids: set[int]) -> dict[int, _GridMap]:
    raw: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    rows = Building.objects.filter(grid_id__in=grid_ids, latitude__isnull=False).values_list(
        "grid_id", "pk", "latitude", "longitude"
    )
    for grid_id, pk, latitude, longitude in rows.order_by("pk"):
        if latitude is not None and longitude is not None:
            raw[grid_id].append((pk, float(latitude), float(longitude)))
    maps = {}
    for grid_id, buildings in raw.items():
        centre = (
            sum(b[1] for b in buildings) / len(buildings),
            sum(b[2] for b in buildings) / len(buildings),
        )
        doors = {
            pk: offset_m(Position(*centre), Position(latitude, longitude))
            for pk, latitude, longitude in buildings
        }
        maps[grid_id] = _GridMap(centre, doors)
    return maps


def _round_end(patrol: Patrol, tz: dt.tzinfo) -> dt.datetime:
    day = timezone.localdate(patrol.started_at)
    return dt.datetime.combine(day, ROUND_UNTIL, tzinfo=tz)


def _rounds_opened(
    walkers: list[tuple[int, int]],
    members: dict,
    day: dt.date,
    rng: random.Random,
    tz: dt.tzinfo,
) -> list[Patrol]:
    """The day's rounds, opened at once (as ``patrol_start`` opens one, with its "round
    started" history entry dated then); each member has one grid in the demo."""
    rounds = []
    for member_id, grid_id in walkers:
        started_at = dt.datetime.combine(day, ROUND_FROM, tzinfo=tz) + dt.timedelta(
            seconds=rng.randrange(15 * 60)
        )
        patrol = Patrol(member_id=member_id, grid_id=grid_id, started_at=started_at)
        history_attribution_set(patrol, actor=members[member_id], reason=_("round started"))
        patrol._history_date = started_at  # type: ignore[attr-defined]  # read by simple-history
        rounds.append(patrol)
    created = Patrol.objects.bulk_create(rounds)  # history: the next line, dated as they began
    history_manager(Patrol).bulk_history_create(created)
    return created


def _route(
    patrol: Patrol,
    visits: list[tuple[dt.datetime, tuple[float, float]]],
    buildings: list[tuple[float, float]],
    rng: random.Random,
    tz: dt.tzinfo,
) -> list[_Stop]:
    """Where the member is when: at each visit's door at its time (or, for an off-track
    visit, away at the office), past other buildings when there is time between."""
    doors = buildings
    office = _away(rng)
    here = rng.choice(doors)
    now = patrol.started_at
    stops = [_Stop(now, *here)]
    until = _round_end(patrol, tz) - dt.timedelta(seconds=rng.randrange(10 * 60))
    if rng.random() < AT_THE_OFFICE:
        # The whole round at the office: its visits are logged away from their buildings.
        doors = [(office[0] + rng.gauss(0, 15), office[1] + rng.gauss(0, 15)) for _ in range(3)]
        here = doors[0]
        stops = [_Stop(now, *here)]
        visits = []
    planned = [(at, door, AT_THE_DOOR / 2) for at, door in visits]
    for at, place, stay in [*planned, (until, None, dt.timedelta())]:
        # Wander past other buildings while there is time to, then go to the next place.
        while True:
            nxt = rng.choice(doors)
            leg = _walk_time(here, nxt)
            onward = _walk_time(nxt, place) if place is not None else dt.timedelta()
            if now + leg + AT_THE_DOOR + onward >= at - stay:
                break
            now += leg
            stops.append(_Stop(now, *nxt))
            now += dt.timedelta(seconds=rng.randrange(30, 150))  # a word with a neighbour
            stops.append(_Stop(now, *nxt))
            here = nxt
        if place is None:
            break
        now = max(now + _walk_time(here, place), at - stay)
        stops.append(_Stop(now, *place))
        now = max(now, at) + stay
        stops.append(_Stop(now, *place))
        here = place
    if stops[-1].at < until:
        stops.append(_Stop(until, *here))
    return stops


def _away(rng: random.Random) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    return AWAY_M * math.cos(angle), AWAY_M * math.sin(angle)


def _walk_time(a: tuple[float, float], b: tuple[float, float]) -> dt.timedelta:
    return dt.timedelta(seconds=math.dist(a, b) / WALK_MPS)


def _points(
    patrol: Patrol, stops: list[_Stop], centre: tuple[float, float], rng: random.Random
) -> list[tuple]:
    """The phone's positions along ``stops`` as rows of ``_points_insert``: one every
    30–60 s, a few metres off, now and then an inaccurate one (flagged as the service flags
    it) or a jump (flagged too fast when the round ends)."""
    rows: list[tuple] = []
    at, leg = stops[0].at, 0
    while at <= stops[-1].at:
        while leg < len(stops) - 2 and stops[leg + 1].at <= at:
            leg += 1
        a, b = stops[leg], stops[min(leg + 1, len(stops) - 1)]
        span = (b.at - a.at).total_seconds()
        share = min(1.0, (at - a.at).total_seconds() / span) if span > 0 else 1.0
        east = a.east + (b.east - a.east) * share + rng.gauss(0, JITTER_M)
        north = a.north + (b.north - a.north) * share + rng.gauss(0, JITTER_M)
        accuracy = round(rng.uniform(4, 15), 1)
        flag = TrackPoint.Flag.PLAUSIBLE
        chance = rng.random()
        if chance < INACCURATE:
            accuracy = round(rng.uniform(settings.PATROL_MAX_ACCURACY_M + 10, 250), 1)
            east, north = east + rng.gauss(0, 60), north + rng.gauss(0, 60)
            flag = TrackPoint.Flag.INACCURATE
        elif chance < INACCURATE + JUMPS and rows:
            jump = _away(rng)
            east, north = east + jump[0] * 2, north + jump[1] * 2
        latitude, longitude = offset_by(Position(*centre), east, north)
        rows.append(
            (
                patrol.pk,
                patrol.member_id,
                len(rows) + 1,
                at,
                round(latitude, 7),
                round(longitude, 7),
                accuracy,
                int(flag),
            )
        )
        at += dt.timedelta(seconds=rng.randint(*EVERY_S))
    return rows


def _history_dated(since: dt.datetime) -> None:
    """The rounds' "ended" history entries dated when they ended (the services date them now,
    the moment the demo was seeded)."""
    entries = history_manager(Patrol).filter(history_type="~", started_at__gte=since)
    entries.update(history_date=F("ended_at"))  # history: dating the demo's own entries
