"""A round's totals, worked out from its stored points when it ends (and again when late
points arrive): flags for speed, distance, counts, the line for drawing, buildings passed."""

import math

from django.conf import settings

from archives.models import Building
from patrols import geometry
from patrols.models import Patrol, PatrolBuilding, TrackPoint

#: Tolerance of the line kept for drawing, in metres.
LINE_TOLERANCE_M = 3.0


def totals_work_out(patrol: Patrol) -> None:
    """Work out ``patrol``'s flags for speed, distance, counts, line and buildings passed from
    its stored points (in memory; the caller saves the round)."""
    points = list(
        TrackPoint.objects.filter(patrol=patrol)
        .order_by("recorded_at", "client_id")
        .only("id", "recorded_at", "latitude", "longitude", "flag")
    )
    candidates = [
        p for p in points if p.flag in (TrackPoint.Flag.PLAUSIBLE, TrackPoint.Flag.TOO_FAST)
    ]
    stretches = walked_stretches(candidates, settings.PATROL_MAX_SPEED_MPS)
    walked_ids = {p.pk for stretch in stretches for p in stretch}
    changed = []
    for point in candidates:
        flag = TrackPoint.Flag.PLAUSIBLE if point.pk in walked_ids else TrackPoint.Flag.TOO_FAST
        if flag != point.flag:
            point.flag = flag
            changed.append(point)
    TrackPoint.objects.bulk_update(changed, ["flag"], batch_size=1000)
    lines = [[geometry.Position(p.latitude, p.longitude) for p in s] for s in stretches]
    positions = [p for line in lines for p in line]
    # A jump between stretches is not walked: only the stretches' lengths count.
    patrol.distance_m = round(sum(geometry.path_length_m(line) for line in lines))
    patrol.point_count = len(points)
    patrol.flagged_count = len(points) - len(positions)
    patrol.line = [
        [round(p.latitude, 6), round(p.longitude, 6)]
        for line in lines
        for p in geometry.simplify(line, LINE_TOLERANCE_M)
    ]
    _buildings_passed_set(patrol, positions)


#: How many points in a row, each a walker's step from the one before, make a walk go on
#: from where they are, though reaching them from the last walked point was no walker's pace.
RESUME_AFTER = 3


def walked_stretches(points: list[TrackPoint], max_speed: float) -> list[list[TrackPoint]]:
    """The points (in time order) that a walker could have walked, as stretches; the others
    are jumps of the GPS.

    A point is walked when it is reached from the last walked point at no more than
    ``max_speed``. A point that is not waits: when ``RESUME_AFTER`` such points in a row are
    each within a walker's pace of the one before, the GPS was not jumping there. If the
    stretch they break from is shorter than they are (a first fix off by a kilometre, say),
    that stretch was the jump and is dropped; otherwise the walk goes on from them as a new
    stretch (a phone that lost its fix indoors and found it again far on), and the gap
    between the two is not counted as walked.
    """
    stretches: list[list[TrackPoint]] = []
    waiting: list[TrackPoint] = []
    for point in points:
        if not stretches:
            stretches.append([point])
            continue
        if _speed(stretches[-1][-1], point) <= max_speed:
            stretches[-1].append(point)
            waiting = []
            continue
        if waiting and _speed(waiting[-1], point) <= max_speed:
            waiting.append(point)
        else:
            waiting = [point]
        if len(waiting) >= RESUME_AFTER:
            if len(stretches[-1]) < len(waiting):
                stretches[-1] = waiting
            else:
                stretches.append(waiting)
            waiting = []
    return stretches


def _speed(a: TrackPoint, b: TrackPoint) -> float:
    seconds = (b.recorded_at - a.recorded_at).total_seconds()
    metres = geometry.distance_m(
        geometry.Position(a.latitude, a.longitude), geometry.Position(b.latitude, b.longitude)
    )
    if seconds <= 0:
        return 0.0 if metres < 1 else math.inf
    return metres / seconds


def _buildings_passed_set(patrol: Patrol, walked: list[geometry.Position]) -> None:
    """The buildings of the round's grid that its walked points came within reach of."""
    metres = settings.PATROL_ON_TRACK_METRES
    buildings = Building.objects.filter(grid_id=patrol.grid_id, latitude__isnull=False)
    passed = []
    for pk, latitude, longitude in buildings.values_list("pk", "latitude", "longitude"):
        if latitude is None or longitude is None:
            continue
        place = geometry.Position(float(latitude), float(longitude))
        dlat, dlon = geometry.degrees_around(place, metres)
        if any(
            abs(p.latitude - place.latitude) <= dlat
            and abs(p.longitude - place.longitude) <= dlon
            and geometry.is_near(p, place, metres)
            for p in walked
        ):
            passed.append(pk)
    PatrolBuilding.objects.filter(patrol=patrol).delete()
    PatrolBuilding.objects.bulk_create(
        [PatrolBuilding(patrol_id=patrol.pk, building_id=pk) for pk in passed]
    )
