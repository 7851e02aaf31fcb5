"""Reads of patrol rounds: who sees which, a visit's on-track check, and a month's figures.

The on-track rule, in one place: a visit is **on-track** when its grid member's plausible
points come within ``PATROL_ON_TRACK_METRES`` of the household's building within
``PATROL_ON_TRACK_MINUTES`` either side of the visit; **off-track** when the member had a round
then and its points did not; and **unchecked** (—) when they had no round then, or the
building has no position on the map.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Cast, Cos, Radians, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.types import User
from archives import months, scope
from archives.models import Building, Grid, Visit
from patrols.geometry import METRES_PER_DEGREE, Position
from patrols.models import Patrol, PatrolBuilding, TrackPoint


class TrackCheck(TextChoices):
    ON = "on", _("on-track")
    OFF = "off", _("off-track")
    UNCHECKED = "none", _("no track")


def patrols_visible(user: User) -> QuerySet[Patrol]:
    """The rounds ``user`` may see: their own, and those of the grids they oversee."""
    return scope.restrict_own_work(
        Patrol.objects.all(), user, person_path="member", grid_path="grid"
    )


def may_manage_tracking_devices(user: User) -> bool:
    """Whether ``user`` may see, issue and revoke tracking apps' devices: administrators only
    (a device's token signs its positions in as its member). The device pages ask this, and
    the services refuse on the same answer."""
    return bool(user.is_active and user.is_superuser)


def patrol_open_of(member: User) -> Patrol | None:
    if not member.is_authenticated:
        return None
    return Patrol.objects.filter(member_id=member.pk, state=Patrol.State.OPEN).first()


def patrol_points(patrol: Patrol) -> list[TrackPoint]:
    """A round's stored points in time order (flagged ones included, to be drawn apart)."""
    return list(
        TrackPoint.objects.filter(patrol=patrol)
        .order_by("recorded_at", "client_id")
        .only("recorded_at", "latitude", "longitude", "accuracy_m", "flag")
    )


# A visit against the track ---------------------------------------------------------------------


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.PATROL_ON_TRACK_MINUTES)


def _passed_near_building(visit_path: str = "") -> Exists:
    """Whether the visit's member has a plausible point near its building in its window."""
    prefix = f"{visit_path}__" if visit_path else ""
    metres = float(settings.PATROL_ON_TRACK_METRES)
    window = _window()
    at = OuterRef(f"{prefix}visited_at")
    building_lat = Cast(OuterRef(f"{prefix}household__building__latitude"), FloatField())
    building_lon = Cast(OuterRef(f"{prefix}household__building__longitude"), FloatField())
    north = ExpressionWrapper(
        (F("latitude") - building_lat) * METRES_PER_DEGREE, output_field=FloatField()
    )
    east = ExpressionWrapper(
        (F("longitude") - building_lon) * METRES_PER_DEGREE * Cos(Radians(building_lat)),
        output_field=FloatField(),
    )
    degrees = metres / METRES_PER_DEGREE
    points = (
        TrackPoint.objects.filter(
            member=OuterRef(f"{prefix}grid_member"),
            recorded_at__gte=at - window,
            recorded_at__lte=at + window,
            flag=TrackPoint.Flag.PLAUSIBLE,
            # A box the (member, time) index narrows first; the circle inside it after.
            latitude__gte=building_lat - degrees,
            latitude__lte=building_lat + degrees,
        )
        .alias(squared=ExpressionWrapper(north * north + east * east, output_field=FloatField()))
        .filter(squared__lte=metres * metres)
    )
    return Exists(points)


def _had_round_then(visit_path: str = "") -> Exists:
    prefix = f"{visit_path}__" if visit_path else ""
    at = OuterRef(f"{prefix}visited_at")
    window = _window()
    rounds = Patrol.objects.filter(
        member=OuterRef(f"{prefix}grid_member"), started_at__lte=at + window
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=at - window))
    return Exists(rounds)


def track_check_expression(visit_path: str = "") -> Case:
    """The ``TrackCheck`` value of a visit (or of the visit at ``visit_path``), as SQL: an
    annotation that a list of any length computes in its one query."""
    prefix = f"{visit_path}__" if visit_path else ""
    return Case(
        When(
            Q(**{f"{prefix}household__building__latitude__isnull": True}),
            then=Value(TrackCheck.UNCHECKED.value),
        ),
        When(~Q(_had_round_then(visit_path)), then=Value(TrackCheck.UNCHECKED.value)),
        When(Q(_passed_near_building(visit_path)), then=Value(TrackCheck.ON.value)),
        default=Value(TrackCheck.OFF.value),
        output_field=CharField(),
    )


def visits_with_track_check(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """``visits`` each with ``track_check`` (a ``TrackCheck`` value)."""
    return visits.annotate(track_check=track_check_expression())


# A month's figures -----------------------------------------------------------------------------


@dataclass
class PatrolCounts:
    """A month's patrol figures of one grid or one member; they add up (a street's are the
    sums of its grids', its days then counting grid-days). The monthly report stores them as
    they are (``exports.figures.MonthCounts.patrol``)."""

    days: int = 0  # days with at least one round started
    rounds: int = 0
    distance_m: int = 0
    buildings_covered: int = 0  # distinct buildings passed at least once in the month
    visits: int = 0
    visits_on_track: int = 0
    visits_off_track: int = 0

    @property
    def kilometres(self) -> float:
        return self.distance_m / 1000

    def add(self, other: "PatrolCounts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PatrolMonth:
    by_grid: dict[int, PatrolCounts]
    by_member: dict[int, PatrolCounts]


def patrol_month_counts(
    *, start: dt.datetime, end: dt.datetime, grid_ids: list[int] | None = None
) -> PatrolMonth:
    """Patrol figures of the rounds started in [``start``, ``end``) and the visits logged then,
    per grid (``grid_ids``, or every grid) and per grid member (their own rounds and visits in
    those grids). Four queries, whatever the number of grids, members or points: the rounds'
    totals are stored on them, and only the visits' check reads points, through the
    (member, time) index."""
    by_grid: dict[int, PatrolCounts] = defaultdict(PatrolCounts)
    by_member: dict[int, PatrolCounts] = defaultdict(PatrolCounts)
    rounds = Patrol.objects.filter(started_at__gte=start, started_at__lt=end)
    if grid_ids is not None:
        rounds = rounds.filter(grid_id__in=grid_ids)
    per_day = (
        rounds.annotate(day=TruncDate("started_at"))
        .values_list("grid_id", "member_id", "day")
        .annotate(n=Count("pk"), metres=Sum("distance_m"))
        .order_by()
    )
    grid_days: set[tuple[int, dt.date]] = set()
    member_days: set[tuple[int, dt.date]] = set()
    for grid_id, member_id, day, n, metres in per_day:
        for counts in (by_grid[grid_id], by_member[member_id]):
            counts.rounds += n
            counts.distance_m += metres or 0
        grid_days.add((grid_id, day))
        member_days.add((member_id, day))
    for grid_id, _day in grid_days:
        by_grid[grid_id].days += 1
    for member_id, _day in member_days:
        by_member[member_id].days += 1

    passed = PatrolBuilding.objects.filter(patrol__in=rounds)
    for key, counts_of in (("patrol__grid_id", by_grid), ("patrol__member_id", by_member)):
        covered = passed.values_list(key).annotate(n=Count("building_id", distinct=True))
        for owner, n in covered.order_by():
            counts_of[owner].buildings_covered = n

    visits = Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
    if grid_ids is not None:
        visits = visits.filter(grid_id__in=grid_ids)
    checked = (
        visits.annotate(track_state=track_check_expression())
        .values_list("grid_id", "grid_member_id", "track_state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for grid_id, member_id, check, n in checked:
        for counts in (by_grid[grid_id], by_member[member_id]):
            counts.visits += n
            if check == TrackCheck.ON:
                counts.visits_on_track += n
            elif check == TrackCheck.OFF:
                counts.visits_off_track += n
    return PatrolMonth(by_grid=dict(by_grid), by_member=dict(by_member))


def buildings_covered_by_member_grid(
    *, start: dt.datetime, end: dt.datetime, grid_ids: list[int]
) -> dict[tuple[int, int], int]:
    """{(member ID, grid ID): how many distinct buildings of the grid the member's rounds
    started in [``start``, ``end``) passed}: a member's coverage of the grids they work,
    whose buildings ``PatrolCounts.buildings_covered`` mixes with those of any grid they
    walked. One query."""
    passed = PatrolBuilding.objects.filter(
        patrol__started_at__gte=start, patrol__started_at__lt=end, patrol__grid_id__in=grid_ids
    )
    covered = passed.values_list("patrol__member_id", "patrol__grid_id").annotate(
        n=Count("building_id", distinct=True)
    )
    return {(member_id, grid_id): n for member_id, grid_id, n in covered.order_by()}


# Seeing rounds ---------------------------------------------------------------------------------


@dataclass
class GridBuilding:
    """A building of a round's (or a month's) grid, with whether it was passed."""

    building: Building
    passed: bool

    @property
    def position(self) -> Position | None:
        if self.building.latitude is None or self.building.longitude is None:
            return None
        return Position(float(self.building.latitude), float(self.building.longitude))


def _grid_buildings(grid_id: int, passed_ids: set[int]) -> list[GridBuilding]:
    buildings = Building.objects.filter(grid_id=grid_id).order_by("address", "pk")
    return [GridBuilding(b, b.pk in passed_ids) for b in buildings]


def patrol_buildings(patrol: Patrol) -> list[GridBuilding]:
    """The buildings of the round's grid, each marked passed or not by this round."""
    passed = set(PatrolBuilding.objects.filter(patrol=patrol).values_list("building_id", flat=True))
    return _grid_buildings(patrol.grid_id, passed)


@dataclass
class GridMonth:
    """A grid's rounds in a month that ``user`` may see, by day, and what they covered."""

    grid: Grid
    month: dt.date
    days: list[tuple[dt.date, list[Patrol]]]  # days with rounds, in order
    buildings: list[GridBuilding]

    @property
    def rounds(self) -> int:
        return sum(len(rounds) for _day, rounds in self.days)

    @property
    def distance_m(self) -> int:
        return sum(p.distance_m for _day, rounds in self.days for p in rounds)

    @property
    def passed(self) -> int:
        return sum(1 for b in self.buildings if b.passed)

    @property
    def coverage(self) -> float | None:
        """The share of the grid's buildings passed at least once, or None without buildings."""
        return self.passed / len(self.buildings) if self.buildings else None


def grid_month(user: User, grid: Grid, month: dt.date) -> GridMonth:
    """``grid``'s rounds started in ``month`` that ``user`` sees (a supervisor: all of them; a
    member: their own), by local day, and the grid's buildings passed by those rounds. Three
    queries, whatever the number of rounds."""
    start, end = months.month_bounds(month)
    rounds = list(
        patrols_visible(user)
        .filter(grid=grid, started_at__gte=start, started_at__lt=end)
        .select_related("member")
        .order_by("started_at", "pk")
    )
    by_day: dict[dt.date, list[Patrol]] = defaultdict(list)
    for patrol in rounds:
        by_day[timezone.localdate(patrol.started_at)].append(patrol)
    passed = set(
        PatrolBuilding.objects.filter(patrol__in=[p.pk for p in rounds]).values_list(
            "building_id", flat=True
        )
    )
    return GridMonth(
        grid=grid,
        month=months.first_day(month),
        days=sorted(by_day.items()),
        buildings=_grid_buildings(grid.pk, passed),
    )
