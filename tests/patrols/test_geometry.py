import math

import pytest

from patrols.geometry import Position, distance_m, offset_by, offset_m, path_length_m, simplify


def test_a_thousandth_of_a_degree_north_is_111_metres():
    north = distance_m(Position(30.0, 120.0), Position(30.001, 120.0))
    assert north == pytest.approx(111.195, rel=1e-3)


def test_a_degree_east_shrinks_with_the_cosine_of_the_latitude():
    at_equator = distance_m(Position(0, 120), Position(0, 121))
    at_sixty = distance_m(Position(60, 120), Position(60, 121))
    assert at_sixty == pytest.approx(at_equator * math.cos(math.radians(60)), rel=1e-3)


def test_known_distance_between_two_cities():
    # Beijing Tiananmen to Shanghai People's Square: about 1,067 km on the great circle.
    beijing, shanghai = Position(39.9087, 116.3975), Position(31.2304, 121.4737)
    assert distance_m(beijing, shanghai) / 1000 == pytest.approx(1067, abs=5)


def test_path_length_adds_the_legs():
    walk = [Position(30.0, 120.0), Position(30.001, 120.0), Position(30.001, 120.001)]
    legs = distance_m(walk[0], walk[1]) + distance_m(walk[1], walk[2])
    assert path_length_m(walk) == pytest.approx(legs)
    assert path_length_m(walk[:1]) == 0


def test_simplify_drops_points_on_a_straight_street_and_keeps_the_corner():
    straight = [Position(30.0 + i * 0.0001, 120.0) for i in range(11)]
    corner = [Position(30.001, 120.0 + i * 0.0001) for i in range(1, 11)]
    kept = simplify(straight + corner, tolerance_m=3)
    assert kept == [straight[0], straight[-1], corner[-1]]


def test_simplify_keeps_a_detour_larger_than_the_tolerance():
    walk = [Position(30.0, 120.0), Position(30.0005, 120.0001), Position(30.001, 120.0)]
    # The middle point is some 9.6 m off the straight line.
    assert simplify(walk, tolerance_m=5) == walk
    assert simplify(walk, tolerance_m=20) == [walk[0], walk[2]]


def test_an_offset_in_metres_undone_gives_the_position_back():
    origin, p = Position(42.90, 129.51), Position(42.9031, 129.5066)
    east, north = offset_m(origin, p)
    assert distance_m(origin, p) == pytest.approx(math.hypot(east, north), rel=1e-3)
    back = offset_by(origin, east, north)
    assert back.latitude == pytest.approx(p.latitude, abs=1e-9)
    assert back.longitude == pytest.approx(p.longitude, abs=1e-9)
