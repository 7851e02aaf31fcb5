"""The demo city's events (``events.demo``, seeded by ``seed_demo``): four months of them
through the chain's services, every light, returns, send-backs, delays and escalations, most
settled within three days, and every event's steps a chain its light follows from."""

import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from archives.demo.city import CitySize
from archives.models import Department
from events.demo import CATEGORIES, EVENT_DEMO_ACCOUNTS
from events.models import (
    Event,
    EventCategory,
    EventStep,
    EventTimeLimit,
    Level,
    Light,
    WorkCalendarDay,
)
from events.selectors import events_visible
from portal.demo import demo_reset, demo_seed

pytestmark = pytest.mark.django_db

#: Half the default city's grids: half its events, about one a working day.
SMALL = CitySize(residents=600, grids=63, streets=2)
TODAY = dt.date(2026, 11, 26)
Action = EventStep.Action


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory) -> str:
    """Where the demo's photos go: the tests' own directory (tests/conftest.py sets one per
    test, after a module fixture has run), never the project's."""
    return str(tmp_path_factory.mktemp("demo-media"))


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, demo_media):
    """Seeded once for the module (a minute), rolled back after its last test."""
    # The hasher the suite's settings use (tests/conftest.py), not yet set for a module fixture.
    md5 = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=demo_media,
    )
    with django_db_blocker.unblock(), md5, transaction.atomic():
        yield demo_seed(seed=11, size=SMALL, today=TODAY)
        transaction.set_rollback(True)


def test_four_months_of_events_at_every_light(city):
    events = Event.objects.all()
    assert city.counts["events"] == events.count() > 100
    first = timezone.localdate(events.order_by("reported_at")[0].reported_at)
    assert (first.year, first.month) == (2026, 7)
    assert timezone.localdate(events.order_by("-reported_at")[0].reported_at) < TODAY
    assert {e.light for e in events} == set(Light)
    assert len({e.category_id for e in events}) == len(CATEGORIES)
    assert len({e.grid_id for e in events}) > SMALL.grids // 2
    reporters = get_user_model().objects.filter(reported_events__isnull=False).distinct()
    assert {r.groups.get().name for r in reporters} == {"grid member", "community staff"}


def test_returns_send_backs_delays_and_escalations(city):
    events = Event.objects.all()
    assert sum(e.returns for e in events) > 0
    assert sum(e.send_backs for e in events) > 0
    assert events.filter(escalated_at__isnull=False).count() > 0
    actions = Counter(EventStep.objects.values_list("action", flat=True))
    assert actions[Action.EXPLAIN_DELAY] > 0 and actions[Action.PASS_UP] > 0
    assert actions[Action.TRANSFER] > actions[Action.RETURN] > 0
    # Overdue: stages that ended after their limit, some explained, some escalated.
    late = EventStep.objects.filter(stage_ended_at__gt=F("stage_due_at")).count()
    assert late > 0
    end = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(0)))
    assert events.exclude(light=Light.GREEN).filter(stage_due_at__lt=end).exists()


def test_nine_in_ten_settled_within_three_days(city):
    closed = Event.objects.filter(light=Light.GREEN)
    assert closed.count() > 0.8 * Event.objects.count()
    within = sum(e.closed_at - e.reported_at <= dt.timedelta(days=3) for e in closed)
    assert within / closed.count() >= 0.9
    assert within < closed.count()  # not all: some ran late


#: The light and holder each step leaves the event at, from the one it found (None: any).
_MOVES = {
    Action.REPORT: ({None}, Light.RED),
    Action.ACCEPT: ({Light.RED}, Light.YELLOW),
    Action.PASS_UP: ({Light.RED}, Light.RED),
    Action.TRANSFER: ({Light.RED, Light.YELLOW}, Light.RED),
    Action.RETURN: ({Light.RED}, Light.RED),
    Action.HANDLE: ({Light.YELLOW}, Light.BLUE),
    Action.CONFIRM: ({Light.BLUE}, Light.GREEN),
    Action.SEND_BACK: ({Light.BLUE}, Light.YELLOW),
}


def test_every_event_is_its_steps_replayed(city):
    steps: dict[int, list[EventStep]] = {}
    for step in EventStep.objects.order_by("at", "id"):
        steps.setdefault(step.event_id, []).append(step)
    for event in Event.objects.all():
        light, level, department = None, None, None
        counted = Counter()
        for step in steps[event.pk]:
            counted[step.action] += 1
            if step.action in _MOVES:
                before, after = _MOVES[step.action]
                assert light in before, (event.pk, step.action, light)
                assert step.light == after, (event.pk, step.action)
                light = after
            else:  # a delay explained or an escalation changes no light
                assert step.light == light and light != Light.GREEN
            level = step.level
            department = step.department_id if level == Level.DEPARTMENT else None
            assert step.at >= event.reported_at
        assert steps[event.pk][0].action == Action.REPORT
        assert (event.light, event.level, event.department_id) == (light, level, department)
        assert event.version == len(steps[event.pk])
        assert event.returns == counted[Action.RETURN]
        assert event.send_backs == counted[Action.SEND_BACK]
        assert (event.escalated_at is not None) == (counted[Action.ESCALATE] == 1)
        assert (event.closed_at is not None) == (light == Light.GREEN)
        # History: an entry a step, dated when it was taken.
        dates = list(event.history.order_by("history_id").values_list("history_date", flat=True))
        assert dates == [s.at for s in steps[event.pk]]


def test_categories_limits_calendar_and_the_event_accounts(city):
    assert EventCategory.objects.count() == len(CATEGORIES)
    for category in EventCategory.objects.all():
        assert category.departments.exists()
        assert category.time_limits.count() == 9
    assert EventTimeLimit.objects.count() == 9 * len(CATEGORIES)
    assert WorkCalendarDay.objects.filter(date__year=2026, is_workday=False).exists()
    inspection = Department.objects.get(is_inspection_office=True)
    User = get_user_model()
    for username, _name, _code, _about in EVENT_DEMO_ACCOUNTS:
        assert (username, _about) in city.accounts
        assert User.objects.get(username=username).check_password("demo")
    inspector = User.objects.get(username="inspector")
    seen = events_visible(inspector)
    assert set(seen) == set(Event.objects.filter(escalated_at__isnull=False))
    assert inspection.code == "inspection"
    urban = User.objects.get(username="urban")
    assert events_visible(urban).exists()
    assert all(
        e.steps.filter(department__code="urban-management").exists() for e in events_visible(urban)
    )


def test_the_same_seed_seeds_the_same_events(city):
    def seen():
        return list(
            Event.objects.order_by("reported_at", "grid__code").values_list(
                "reported_at", "grid__code", "category__code", "light", "returns", "send_backs"
            )
        )

    first = seen()
    demo_reset()
    assert not Event.objects.exists()
    demo_seed(seed=11, size=SMALL, today=TODAY)
    assert seen() == first


def test_some_reports_and_handlings_come_with_photos(city, demo_media, settings):
    from PIL import Image

    from events.models import EventPhoto

    settings.MEDIA_ROOT = demo_media

    pictured = EventPhoto.objects.select_related("step")
    actions = Counter(photo.step.action for photo in pictured)
    assert actions[Action.REPORT] >= 10 and actions[Action.HANDLE] >= 5
    assert set(actions) == {Action.REPORT, Action.HANDLE}
    photo = pictured.filter(step__action=Action.HANDLE).first()
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (photo.width, photo.height)
