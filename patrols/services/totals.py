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
    walked: list[TrackPoint] = []
    newly_fast: list[TrackPoint] = []
    for point in points:
        if point.flag not in (TrackPoint.Flag.PLAUSIBLE, TrackPoint.Flag.TOO_FAST):
            continue
        too_fast = bool(walked) and _speed(walked[-1], point) > settings.PATROL_MAX_SPEED_MPS
        flag = TrackPoint.Flag.TOO_FAST if too_fast else TrackPoint.Flag.PLAUSIBLE
        if flag != point.flag:
            point.flag = flag
            newly_fast.append(point)
        if not too_fast:
            walked.append(point)
    TrackPoint.objects.bulk_update(newly_fast, ["flag"], batch_size=1000)
    positions = [geometry.Position(p.latitude, p.longitude) for p in walked]
    patrol.distance_m = round(geometry.path_length_m(positions))
    patrol.point_count = len(points)
    patrol.flagged_count = len(points) - len(walked)
    patrol.line = [
        [round(p.latitude, 6), round(p.longitude, 6)]
        for p in geometry.simplify(positions, LINE_TOLERANCE_M)
    ]
    _buildings_passed_set(patrol, positions)


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
