"""A visit against its member's track: on-track, off-track and unchecked, at the limits."""

import datetime as dt
from decimal import Decimal

import pytest

from archives.models import Visit
from patrols import services
from patrols.selectors import TrackCheck, visits_with_track_check
from tests import factories
from tests.patrols.conftest import MORNING, walk

#: A thousandth of a degree north is 111.2 m; the default reach is 100 m.
NEAR = 0.0008  # 89 m
FAR = 0.0010  # 111 m


def a_round(patrol_grid, positions, *, start=MORNING, every_s=60):
    member = patrol_grid["member"]
    patrol = services.patrol_start(actor=member, grid=patrol_grid["grid"], at=start)
    points = walk(start, positions, every_s=every_s)
    end = start + dt.timedelta(seconds=every_s * len(positions))
    services.patrol_points_record(patrol=patrol, actor=member, points=points, now=end)
    return services.patrol_end(patrol=patrol, actor=member, at=end)


def visit(patrol_grid, at, *, member=None):
    return Visit.objects.create(
        grid_member=member or patrol_grid["member"],
        household=patrol_grid["household"],
        visited_at=at,
    )


def check_of(v):
    return visits_with_track_check(Visit.objects.filter(pk=v.pk)).get().track_check


def test_a_visit_whose_member_passed_within_reach_is_on_track(patrol_grid):
    # Standing 89 m north of the building for ten minutes.
    a_round(patrol_grid, [(30.0 + NEAR, 120.0)] * 10)
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=5))) == TrackCheck.ON


def test_a_visit_whose_member_stayed_out_of_reach_is_off_track(patrol_grid):
    a_round(patrol_grid, [(30.0 + FAR, 120.0)] * 10)
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=5))) == TrackCheck.OFF


def test_reach_east_west_shrinks_with_latitude_like_the_ground_does(patrol_grid):
    # 0.001 degrees east at 30° N is 96.3 m: within reach though 0.001 north would not be.
    a_round(patrol_grid, [(30.0, 120.0 + 0.001)] * 10)
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=5))) == TrackCheck.ON


def test_the_time_window_is_thirty_minutes_either_side(patrol_grid):
    # Near the building only in the round's first minute, 9:00; the round goes on till 10:00.
    positions = [(30.0, 120.0)] + [(30.01, 120.0)] * 59
    a_round(patrol_grid, positions)
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=30))) == TrackCheck.ON
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=31))) == TrackCheck.OFF


def test_a_visit_with_no_round_around_it_is_unchecked(patrol_grid):
    a_round(patrol_grid, [(30.0, 120.0)] * 10)
    later = visit(patrol_grid, MORNING + dt.timedelta(hours=3))
    assert check_of(later) == TrackCheck.UNCHECKED


def test_another_members_track_does_not_vouch_for_a_visit(patrol_grid):
    colleague = factories.make_user("colleague", role="grid member")
    patrol_grid["grid"].members.add(colleague)
    a_round(patrol_grid, [(30.0, 120.0)] * 10)
    theirs = visit(patrol_grid, MORNING + dt.timedelta(minutes=5), member=colleague)
    assert check_of(theirs) == TrackCheck.UNCHECKED


def test_flagged_points_do_not_put_a_visit_on_track(patrol_grid):
    member = patrol_grid["member"]
    patrol = services.patrol_start(actor=member, grid=patrol_grid["grid"], at=MORNING)
    far = walk(MORNING, [(30.01, 120.0)] * 10, every_s=60)
    poor = walk(MORNING + dt.timedelta(seconds=30), [(30.0, 120.0)], first_id=99, accuracy=500)
    services.patrol_points_record(patrol=patrol, actor=member, points=far + poor, now=MORNING)
    services.patrol_end(patrol=patrol, actor=member, at=MORNING + dt.timedelta(minutes=10))
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=1))) == TrackCheck.OFF


def test_a_building_without_a_position_leaves_its_visits_unchecked(patrol_grid):
    a_round(patrol_grid, [(30.0, 120.0)] * 10)
    building = patrol_grid["building"]
    building.latitude = building.longitude = None
    building.save()
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=5))) == TrackCheck.UNCHECKED


@pytest.mark.parametrize(("metres", "expected"), [(80, TrackCheck.OFF), (120, TrackCheck.ON)])
def test_the_reach_is_a_setting(patrol_grid, settings, metres, expected):
    settings.PATROL_ON_TRACK_METRES = metres
    a_round(patrol_grid, [(30.0 + NEAR, 120.0)] * 10)  # 89 m away
    assert check_of(visit(patrol_grid, MORNING + dt.timedelta(minutes=5))) == expected


def test_the_check_is_one_query_for_a_list_of_visits(patrol_grid, django_assert_num_queries):
    a_round(patrol_grid, [(30.0 + NEAR, 120.0)] * 10)
    for minutes in range(0, 200, 10):
        visit(patrol_grid, MORNING + dt.timedelta(minutes=minutes))
    with django_assert_num_queries(1):
        checks = [v.track_check for v in visits_with_track_check(Visit.objects.all())]
    # The round ran 9:00–9:10 with points 9:00–9:09: visits 9:00 to 9:30 have points within
    # half an hour; the 9:40 one overlaps the round's window but none of its points.
    assert checks.count(TrackCheck.ON) == 4
    assert checks.count(TrackCheck.OFF) == 1
    assert checks.count(TrackCheck.UNCHECKED) == 15
    assert Decimal(patrol_grid["building"].latitude) == Decimal("30.000000")
