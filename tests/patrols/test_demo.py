"""The demo city's month of patrol rounds (``patrols.demo``, seeded by ``seed_demo``)."""

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from archives.demo.city import GRID_MEMBER_PREFIX, CitySize
from patrols.demo import DAYS
from patrols.models import Patrol, TrackPoint
from patrols.selectors import patrol_month_counts
from portal.demo import demo_reset, demo_seed

pytestmark = pytest.mark.django_db

SMALL = CitySize(residents=600, grids=6, streets=2)
TODAY = dt.date(2026, 11, 26)


def window() -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(TODAY, dt.time(0), tzinfo=tz)
    return end - dt.timedelta(days=DAYS), end


def rounds_seen() -> list[tuple]:
    return list(
        Patrol.objects.order_by("member__username", "started_at").values_list(
            "member__username", "started_at", "ended_at", "distance_m", "point_count"
        )
    )


@pytest.fixture
def city():
    demo_seed(seed=11, size=SMALL, today=TODAY)


def test_every_grid_member_walks_rounds_on_most_working_days(city):
    members = get_user_model().objects.filter(username__startswith=GRID_MEMBER_PREFIX)
    assert members.count() >= SMALL.grids
    working_days = sum((TODAY - dt.timedelta(days=n)).weekday() < 5 for n in range(1, DAYS + 1))
    for member in members:
        rounds = Patrol.objects.filter(member=member)
        assert working_days // 2 < rounds.count() <= working_days, member
        assert not rounds.filter(state=Patrol.State.OPEN).exists()
        assert all(timezone.localtime(r.started_at).weekday() < 5 for r in rounds)


def test_rounds_walk_past_buildings_with_some_points_flagged(city):
    ended = Patrol.objects.all()
    assert all(p.distance_m > 100 and p.point_count >= 30 for p in ended)
    # Most rounds pass buildings of their grid; now and then one is spent at the office.
    passing = sum(p.buildings_passed.exists() for p in ended)
    assert 0.8 * len(ended) < passing < len(ended)
    flags = set(TrackPoint.objects.values_list("flag", flat=True).distinct())
    assert {
        TrackPoint.Flag.PLAUSIBLE,
        TrackPoint.Flag.INACCURATE,
        TrackPoint.Flag.TOO_FAST,
    } <= flags
    # A point every 20 to 60 seconds.
    patrol = ended.first()
    times = list(patrol.points.order_by("recorded_at").values_list("recorded_at", flat=True))
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
    assert min(gaps) >= 20 and max(gaps) <= 60


def test_most_visits_of_the_month_are_on_track_some_off_track_and_some_unchecked(city):
    start, end = window()
    month = patrol_month_counts(start=start, end=end)
    members = get_user_model().objects.filter(username__startswith=GRID_MEMBER_PREFIX)
    assert {m.pk for m in members} <= set(month.by_member)
    city_wide = [counts for counts in month.by_grid.values()]
    visits = sum(c.visits for c in city_wide)
    on = sum(c.visits_on_track for c in city_wide)
    off = sum(c.visits_off_track for c in city_wide)
    unchecked = visits - on - off
    assert on > visits / 2
    assert 0 < off < on / 4
    assert unchecked > 0
    assert all(c.rounds and c.days and c.buildings_covered for c in city_wide)


def test_the_same_seed_walks_the_same_rounds_and_reset_removes_them(city):
    first = rounds_seen()
    demo_reset()
    assert not Patrol.objects.exists() and not TrackPoint.objects.exists()
    demo_seed(seed=11, size=SMALL, today=TODAY)
    assert rounds_seen() == first
