"""Distances on the ground, the plausibility of a walk, and a track simplified for drawing.

Plain functions of coordinates, no database: what the services store and the tests check
with known positions. Distances are great-circle (haversine) metres on a sphere of the Earth's
mean radius; within a town that is right to well under a metre.
"""

import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

EARTH_RADIUS_M = 6_371_008.8
#: Metres per degree of latitude (and of longitude at the equator) on that sphere.
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


class Position(NamedTuple):
    latitude: float
    longitude: float


def distance_m(a: Position, b: Position) -> float:
    """The great-circle distance between two positions, in metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_length_m(points: Sequence[Position]) -> float:
    return sum(distance_m(a, b) for a, b in itertools.pairwise(points))


def degrees_around(position: Position, metres: float) -> tuple[float, float]:
    """Half the sides, in degrees of latitude and longitude, of the box that holds the circle
    of ``metres`` around ``position``: a coarse filter an index can serve."""
    dlat = metres / METRES_PER_DEGREE
    cos_lat = max(math.cos(math.radians(position.latitude)), 1e-6)
    return dlat, dlat / cos_lat


def is_near(a: Position, b: Position, metres: float) -> bool:
    return distance_m(a, b) <= metres


def offset_m(origin: Position, p: Position) -> tuple[float, float]:
    """``p`` in metres east and north of ``origin`` (a flat map of a town-sized area)."""
    x = math.radians(p.longitude - origin.longitude) * math.cos(math.radians(origin.latitude))
    y = math.radians(p.latitude - origin.latitude)
    return x * EARTH_RADIUS_M, y * EARTH_RADIUS_M


def offset_by(origin: Position, east_m: float, north_m: float) -> Position:
    """The position ``east_m`` and ``north_m`` metres from ``origin``: ``offset_m`` undone."""
    latitude = origin.latitude + math.degrees(north_m / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(origin.latitude))
    return Position(latitude, origin.longitude + math.degrees(east_m / EARTH_RADIUS_M) / cos_lat)


def _segment_distance_m(p: Position, a: Position, b: Position) -> float:
    """How far ``p`` lies from the segment ``a``–``b``, in metres."""
    px, py = offset_m(a, p)
    bx, by = offset_m(a, b)
    length2 = bx * bx + by * by
    if length2 == 0:
        return math.hypot(px, py)
    t = max(0.0, min(1.0, (px * bx + py * by) / length2))
    return math.hypot(px - t * bx, py - t * by)


def simplify(points: Sequence[Position], tolerance_m: float) -> list[Position]:
    """The track with the points that change its shape by less than ``tolerance_m`` left
    out (Ramer–Douglas–Peucker), first and last kept. Iterative: a day's track has thousands
    of points and recursion would go as deep."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, 0
        for i in range(first + 1, last):
            d = _segment_distance_m(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if farthest > tolerance_m:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]
