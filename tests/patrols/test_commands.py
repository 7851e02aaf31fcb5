"""The two commands cron runs: closing the rounds left open, purging old points."""

import datetime as dt
from io import StringIO

import time_machine
from django.core.management import call_command

from accounts.system import SYSTEM_USERNAME
from patrols import services
from patrols.models import Patrol, PatrolBuilding, TrackPoint
from tests.patrols.conftest import MORNING, north_walk, walk


def a_round(patrol_grid, *, started: dt.datetime, minutes: int = 10) -> Patrol:
    """A round started at ``started`` with a point every 30 s for ``minutes``, from the
    building northwards (so it passes it), still open."""
    member = patrol_grid["member"]
    patrol = services.patrol_start(actor=member, grid=patrol_grid["grid"], at=started)
    points = walk(started, north_walk(minutes * 2, step=0.0001))
    services.patrol_points_record(
        patrol=patrol, actor=member, points=points, now=started + dt.timedelta(minutes=minutes)
    )
    return patrol


def run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def test_a_round_left_open_13_hours_is_closed_at_its_last_point_by_the_system_account(
    patrol_grid,
):
    patrol = a_round(patrol_grid, started=MORNING, minutes=10)
    with time_machine.travel(MORNING + dt.timedelta(hours=13), tick=False):
        out = run("patrols_close_stale")
    assert out.startswith("1 round(s)")
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.CLOSED_AUTOMATICALLY
    # The last of 20 points, 30 s apart: 9.5 minutes in, not 13 hours.
    assert patrol.ended_at == MORNING + dt.timedelta(seconds=19 * 30)
    assert patrol.distance_m > 0 and patrol.point_count == 20
    entry = patrol.history.order_by("-history_id").first()
    assert entry.history_user.username == SYSTEM_USERNAME
    assert "12" in entry.history_change_reason


def test_a_round_open_11_hours_is_left_open(patrol_grid):
    patrol = a_round(patrol_grid, started=MORNING)
    with time_machine.travel(MORNING + dt.timedelta(hours=11), tick=False):
        out = run("patrols_close_stale")
    assert out.startswith("0 round(s)")
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.OPEN and patrol.ended_at is None


def ended_round(patrol_grid, *, started: dt.datetime) -> Patrol:
    patrol = a_round(patrol_grid, started=started)
    return services.patrol_end(
        patrol=patrol, actor=patrol_grid["member"], at=started + dt.timedelta(minutes=10)
    )


def test_purge_deletes_the_points_of_rounds_ended_over_400_days_ago_and_keeps_their_totals(
    patrol_grid,
):
    old = ended_round(patrol_grid, started=MORNING - dt.timedelta(days=401))
    recent = ended_round(patrol_grid, started=MORNING - dt.timedelta(days=399))
    totals = (old.distance_m, old.point_count, old.line)
    assert old.distance_m > 0 and PatrolBuilding.objects.filter(patrol=old).exists()

    with time_machine.travel(MORNING, tick=False):
        out = run("patrol_points_purge")

    assert out.startswith("20 point(s) of 1 round(s)")
    old.refresh_from_db()
    assert not TrackPoint.objects.filter(patrol=old).exists()
    assert (old.distance_m, old.point_count, old.line) == totals
    assert old.points_purged_at is not None
    assert PatrolBuilding.objects.filter(patrol=old, building=patrol_grid["building"]).exists()
    assert TrackPoint.objects.filter(patrol=recent).count() == 20
    recent.refresh_from_db()
    assert recent.points_purged_at is None


def test_purge_run_again_deletes_nothing_more(patrol_grid):
    ended_round(patrol_grid, started=MORNING - dt.timedelta(days=500))
    assert services.patrol_points_purge(now=MORNING) == (1, 20)
    assert services.patrol_points_purge(now=MORNING) == (0, 0)
