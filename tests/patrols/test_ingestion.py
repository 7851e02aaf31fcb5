"""Points from the phone page: batches, resends, out-of-order arrival, refusals and flags."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from patrols import services
from patrols.models import Patrol, TrackPoint
from patrols.services import RawPoint
from tests import factories
from tests.patrols.conftest import MORNING, north_walk, walk

LATER = MORNING + dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _in_english():
    # Reasons are read here as written in the code; the pages' Chinese is checked with them.
    with translation.override("en"):
        yield


def start(patrol_grid, at=MORNING):
    return services.patrol_start(actor=patrol_grid["member"], grid=patrol_grid["grid"], at=at)


def test_a_batch_is_stored_and_counted(patrol_grid):
    patrol = start(patrol_grid)
    receipt = services.patrol_points_record(
        patrol=patrol, actor=patrol_grid["member"], points=walk(MORNING, north_walk(20)), now=LATER
    )
    assert (receipt.stored, receipt.duplicates, receipt.flagged, receipt.refused) == (20, 0, 0, [])
    patrol.refresh_from_db()
    assert patrol.point_count == 20
    assert TrackPoint.objects.filter(patrol=patrol, member=patrol_grid["member"]).count() == 20


def test_a_batch_sent_again_after_a_lost_response_is_stored_once(patrol_grid):
    patrol = start(patrol_grid)
    batch = walk(MORNING, north_walk(20))
    services.patrol_points_record(
        patrol=patrol, actor=patrol_grid["member"], points=batch, now=LATER
    )
    # The phone resends the last ten with ten new ones, and one of the new twice.
    resend = batch[10:] + walk(MORNING + dt.timedelta(minutes=10), north_walk(10), first_id=21)
    resend.append(resend[-1])
    receipt = services.patrol_points_record(
        patrol=patrol, actor=patrol_grid["member"], points=resend, now=LATER
    )
    assert (receipt.stored, receipt.duplicates) == (10, 11)
    assert TrackPoint.objects.filter(patrol=patrol).count() == 30


def test_an_offline_phone_sends_its_older_points_last_and_the_distance_is_in_time_order(
    patrol_grid,
):
    patrol = start(patrol_grid)
    points = walk(MORNING, north_walk(10, step=0.001))  # nine legs of 111 m
    for batch in (points[5:], points[:5]):
        services.patrol_points_record(
            patrol=patrol, actor=patrol_grid["member"], points=batch, now=LATER
        )
    # 30 s between points and 111 m a leg is 3.7 m/s: brisk, but walking.
    ended = services.patrol_end(patrol=patrol, actor=patrol_grid["member"], at=LATER)
    assert ended.distance_m == pytest.approx(9 * 111.195, abs=1)
    assert ended.flagged_count == 0


def test_malformed_points_are_refused_with_their_reason_and_the_rest_kept(patrol_grid):
    patrol = start(patrol_grid)
    good = walk(MORNING, north_walk(2))
    bad = [
        RawPoint(client_id=90, recorded_at=MORNING, latitude="abc", longitude=120),
        RawPoint(client_id=91, recorded_at=MORNING, latitude=95, longitude=120),
        RawPoint(client_id=92, recorded_at=MORNING, latitude=30, longitude=-181),
        RawPoint(client_id=None, recorded_at=MORNING, latitude=30, longitude=120),
        RawPoint(client_id=93, recorded_at=None, latitude=30, longitude=120),
        RawPoint(client_id=94, recorded_at=MORNING, latitude=float("nan"), longitude=120),
    ]
    receipt = services.patrol_points_record(
        patrol=patrol, actor=patrol_grid["member"], points=good + bad, now=LATER
    )
    assert receipt.stored == 2
    assert [r.index for r in receipt.refused] == [2, 3, 4, 5, 6, 7]
    assert "latitude" in receipt.refused[0].reason
    assert "longitude" in receipt.refused[2].reason
    assert TrackPoint.objects.filter(patrol=patrol).count() == 2


def test_implausible_points_are_kept_flagged_and_left_out_of_the_distance(patrol_grid):
    patrol = start(patrol_grid)
    member = patrol_grid["member"]
    ordinary = walk(MORNING, north_walk(5, step=0.0002))  # 4 legs of 22.2 m
    poor = walk(MORNING + dt.timedelta(seconds=10), [(30.01, 120.0)], first_id=50, accuracy=400)
    future = walk(LATER + dt.timedelta(hours=1), [(30.0, 120.0)], first_id=51)
    before = walk(MORNING - dt.timedelta(hours=1), [(30.0, 120.0)], first_id=52)
    # A jump of 2.2 km in 20 s, between the walk's points, and back.
    jump = walk(MORNING + dt.timedelta(seconds=50), [(30.02, 120.0)], first_id=53)
    receipt = services.patrol_points_record(
        patrol=patrol, actor=member, points=ordinary + poor + future + before + jump, now=LATER
    )
    assert receipt.stored == 9 and receipt.flagged == 3  # the jump is judged at the end
    ended = services.patrol_end(patrol=patrol, actor=member, at=LATER)
    flags = dict(TrackPoint.objects.filter(patrol=patrol).values_list("client_id", "flag"))
    assert flags[50] == TrackPoint.Flag.INACCURATE
    assert flags[51] == TrackPoint.Flag.IN_FUTURE
    assert flags[52] == TrackPoint.Flag.OUTSIDE_ROUND
    assert flags[53] == TrackPoint.Flag.TOO_FAST
    assert {flags[i] for i in range(1, 6)} == {TrackPoint.Flag.PLAUSIBLE}
    assert (ended.point_count, ended.flagged_count) == (9, 4)
    assert ended.distance_m == pytest.approx(4 * 22.239, abs=1)


def test_points_for_another_members_round_are_refused_and_nothing_is_stored(patrol_grid):
    patrol = start(patrol_grid)
    colleague = factories.make_user("colleague", role="grid member")
    patrol_grid["grid"].members.add(colleague)
    with pytest.raises(PermissionDenied):
        services.patrol_points_record(
            patrol=patrol, actor=colleague, points=walk(MORNING, north_walk(3)), now=LATER
        )
    assert not TrackPoint.objects.exists()


def test_a_batch_larger_than_the_limit_is_refused_whole(patrol_grid):
    patrol = start(patrol_grid)
    too_many = walk(MORNING, north_walk(services.MAX_BATCH + 1, step=0))
    with pytest.raises(ValidationError):
        services.patrol_points_record(
            patrol=patrol, actor=patrol_grid["member"], points=too_many, now=LATER
        )
    assert not TrackPoint.objects.exists()


def test_late_points_of_an_ended_round_update_its_totals(patrol_grid):
    member = patrol_grid["member"]
    patrol = start(patrol_grid)
    points = walk(MORNING, north_walk(6, step=0.0002))
    services.patrol_points_record(patrol=patrol, actor=member, points=points[:3], now=LATER)
    services.patrol_end(patrol=patrol, actor=member, at=LATER)
    services.patrol_points_record(patrol=patrol, actor=member, points=points[3:], now=LATER)
    patrol.refresh_from_db()
    assert patrol.point_count == 6
    assert patrol.distance_m == pytest.approx(5 * 22.239, abs=1)
    assert patrol.history.first().history_change_reason == "late points arrived from the phone"


def test_a_second_open_round_is_refused(patrol_grid):
    start(patrol_grid)
    with pytest.raises(ValidationError):
        start(patrol_grid, at=LATER)
    assert Patrol.objects.count() == 1


def test_a_round_cannot_be_started_in_a_grid_one_does_not_work_in(patrol_grid):
    other = factories.make_grid(code="P2", street_code="PS")
    with pytest.raises(PermissionDenied):
        services.patrol_start(actor=patrol_grid["member"], grid=other, at=MORNING)
    assert not Patrol.objects.exists()


def test_ending_records_who_and_why_in_the_rounds_history(patrol_grid):
    member = patrol_grid["member"]
    patrol = start(patrol_grid)
    services.patrol_end(patrol=patrol, actor=member, at=LATER)
    entries = list(patrol.history.order_by("history_date"))
    assert [e.history_change_reason for e in entries] == ["round started", "round ended"]
    assert {e.history_user for e in entries} == {member}
    with pytest.raises(ValidationError):
        services.patrol_end(patrol=patrol, actor=member, at=LATER)


def test_a_round_passes_the_buildings_its_points_come_near(patrol_grid):
    member = patrol_grid["member"]
    far = factories.make_building(grid=patrol_grid["grid"], address="远处路9号")
    far.latitude, far.longitude = 30.01, 120.0  # 1.1 km north
    far.save()
    patrol = start(patrol_grid)
    # From 222 m south of the first building up to 22 m south of it... and 78 m past it.
    services.patrol_points_record(
        patrol=patrol,
        actor=member,
        points=walk(MORNING, north_walk(15, from_lat=29.998, step=0.0002)),
        now=LATER,
    )
    services.patrol_end(patrol=patrol, actor=member, at=LATER)
    assert list(patrol.buildings_passed.values_list("building", flat=True)) == [
        patrol_grid["building"].pk
    ]


def test_a_first_fix_far_off_is_the_jump_not_the_walk_after_it(patrol_grid):
    member = patrol_grid["member"]
    patrol = start(patrol_grid)
    first = walk(MORNING, [(30.02, 120.0)])  # 2.2 km north, then the phone finds itself
    steps = walk(MORNING + dt.timedelta(seconds=30), north_walk(10), first_id=2)
    services.patrol_points_record(patrol=patrol, actor=member, points=first + steps, now=LATER)
    ended = services.patrol_end(patrol=patrol, actor=member, at=LATER)
    flags = dict(TrackPoint.objects.filter(patrol=patrol).values_list("client_id", "flag"))
    assert flags[1] == TrackPoint.Flag.TOO_FAST
    assert {flags[i] for i in range(2, 12)} == {TrackPoint.Flag.PLAUSIBLE}
    assert ended.distance_m == pytest.approx(9 * 22.239, abs=1)
    assert ended.flagged_count == 1


def test_a_walk_found_again_far_on_goes_on_without_counting_the_gap(patrol_grid):
    member = patrol_grid["member"]
    patrol = start(patrol_grid)
    # Five steps north, then (the fix lost in a stairwell) ten seconds later 1.1 km east,
    # where five more steps follow.
    here = walk(MORNING, north_walk(5))
    there = walk(MORNING + dt.timedelta(seconds=130), north_walk(5, lon=120.0115), first_id=6)
    services.patrol_points_record(patrol=patrol, actor=member, points=here + there, now=LATER)
    ended = services.patrol_end(patrol=patrol, actor=member, at=LATER)
    flags = dict(TrackPoint.objects.filter(patrol=patrol).values_list("client_id", "flag"))
    # The points there wait until three of them agree; then the walk goes on from them.
    assert [flags[i] for i in range(1, 11)] == [TrackPoint.Flag.PLAUSIBLE] * 10
    assert ended.distance_m == pytest.approx(8 * 22.239, abs=1)
