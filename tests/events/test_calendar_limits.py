"""Lights and overdue at the limits: stage limits in working hours across a weekend, a public
holiday and an adjusted working day, at exactly the limit and a minute past it, per category and
urgency or by default, in the city's time zone; and the calendar's arithmetic against a plain
minute-by-minute count."""

import datetime as dt
import random
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from events.calendar import WorkCalendar
from events.models import Event, EventStep, EventTimeLimit, Light, Stage, Urgency, WorkCalendarDay
from events.selectors import is_overdue, overdue_condition
from events.services import DEFAULT_LIMIT_HOURS, event_accept, event_handle

CITY = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CITY)


# 2026-11-13 is a Friday; the 14th and 15th a weekend; the 16th a Monday.
FRIDAY_4PM = local(2026, 11, 13, 16, 0)
MONDAY_1030 = local(2026, 11, 16, 10, 30)


def overdue_in_lists(event: Event, now: dt.datetime) -> bool:
    return Event.objects.filter(overdue_condition(now), pk=event.pk).exists()


# Stage limits on the work calendar ------------------------------------------------------------


def test_a_limit_runs_over_the_weekend_in_working_hours(city):
    # Normal urgency: 4 working hours to accept. Friday 16:00–18:00 is two, Monday from 8:30
    # the other two.
    event = city.report(at=FRIDAY_4PM)
    assert event.stage_due_at == MONDAY_1030
    step = event.steps.get()
    assert step.stage_due_at == MONDAY_1030 and step.stage_ended_at is None


def test_exactly_at_the_limit_is_not_overdue_and_a_minute_past_is(city):
    event = city.report(at=FRIDAY_4PM)
    due = event.stage_due_at
    assert not is_overdue(event, due)
    assert not overdue_in_lists(event, due)
    a_minute_past = due + dt.timedelta(minutes=1)
    assert is_overdue(event, a_minute_past)
    assert overdue_in_lists(event, a_minute_past)


def test_a_weekday_public_holiday_does_not_count(city):
    WorkCalendarDay.objects.create(date=dt.date(2026, 11, 16), is_workday=False, name="假日")
    event = city.report(at=FRIDAY_4PM)
    assert event.stage_due_at == local(2026, 11, 17, 10, 30)
    assert not is_overdue(event, local(2026, 11, 17, 10, 30))
    assert is_overdue(event, local(2026, 11, 17, 10, 31))


def test_an_adjusted_working_saturday_counts(city):
    WorkCalendarDay.objects.create(date=dt.date(2026, 11, 14), is_workday=True, name="调休上班")
    event = city.report(at=FRIDAY_4PM)
    assert event.stage_due_at == local(2026, 11, 14, 10, 30)
    assert is_overdue(event, local(2026, 11, 14, 10, 31))


def test_a_report_on_a_sunday_evening_starts_counting_on_monday_morning(city):
    event = city.report(at=local(2026, 11, 15, 21, 0))  # 8:30–12:00, then 13:30–14:00
    assert event.stage_due_at == local(2026, 11, 16, 14, 0)


def test_the_lunch_break_does_not_count(city):
    event = city.report(at=local(2026, 11, 13, 11, 0))  # 11–12, then 13:30–16:30
    assert event.stage_due_at == local(2026, 11, 13, 16, 30)


@pytest.mark.parametrize("urgency", list(Urgency))
def test_every_stage_falls_back_to_the_default_limit_for_its_urgency(city, urgency):
    event = city.report(at=FRIDAY_4PM, urgency=urgency)
    calendar = WorkCalendar()
    expected = DEFAULT_LIMIT_HOURS[urgency]
    assert event.stage_due_at == calendar.add_working_hours(FRIDAY_4PM, expected[Stage.ACCEPT])
    accepted_at = MONDAY_1030
    event_accept(actor=city.community_staff, event=event, at=accepted_at)
    event.refresh_from_db()
    assert event.stage_due_at == calendar.add_working_hours(accepted_at, expected[Stage.HANDLE])
    event_handle(actor=city.community_staff, event=event, note="已处理", at=accepted_at)
    event.refresh_from_db()
    assert event.light == Light.BLUE
    assert event.stage_due_at == calendar.add_working_hours(accepted_at, expected[Stage.EVALUATE])


def test_a_category_limit_for_one_urgency_and_stage_applies_to_that_one_only(city):
    EventTimeLimit.objects.create(
        category=city.category, urgency=Urgency.URGENT, stage=Stage.ACCEPT, working_hours=3
    )
    EventTimeLimit.objects.create(
        category=city.category, urgency=Urgency.URGENT, stage=Stage.HANDLE, working_hours=20
    )
    urgent = city.report(at=FRIDAY_4PM, urgency=Urgency.URGENT)
    assert urgent.stage_due_at == local(2026, 11, 16, 9, 30)  # 3 hours, not the default 2
    normal = city.report(at=FRIDAY_4PM, urgency=Urgency.NORMAL)
    assert normal.stage_due_at == MONDAY_1030  # the default 4
    event_accept(actor=city.community_staff, event=urgent, at=MONDAY_1030)
    urgent.refresh_from_db()
    # 20 hours from Monday 10:30: 6 on Monday, 8 on Tuesday, 6 on Wednesday.
    assert urgent.stage_due_at == local(2026, 11, 18, 16, 0)
    # The step that started the stage carries its limit; the one before ended then.
    steps = list(urgent.steps.order_by("id"))
    assert steps[0].stage_ended_at == MONDAY_1030
    assert steps[1].stage_due_at == urgent.stage_due_at


def test_limits_count_in_the_citys_time_zone_whatever_zone_is_active(city):
    # A page may activate a reader's own time zone; the working day stays the city's.
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        event = city.report(at=FRIDAY_4PM)
    assert event.stage_due_at == MONDAY_1030
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert WorkCalendar().add_working_hours(FRIDAY_4PM, 4) == MONDAY_1030
        assert WorkCalendar().working_hours_between(FRIDAY_4PM, MONDAY_1030) == 4


def test_a_moment_given_in_utc_is_read_in_the_citys_time_zone(city):
    friday_4pm_utc = FRIDAY_4PM.astimezone(dt.UTC)  # 08:00 UTC
    event = city.report(at=friday_4pm_utc)
    assert event.stage_due_at == MONDAY_1030


def test_steps_keep_each_stage_limit_and_end(city):
    event = city.report(at=FRIDAY_4PM)
    event_accept(actor=city.community_staff, event=event, at=MONDAY_1030)
    report, accept = EventStep.objects.filter(event=event).order_by("id")
    assert (report.stage_due_at, report.stage_ended_at) == (MONDAY_1030, MONDAY_1030)
    assert accept.stage_ended_at is None


# The calendar's arithmetic against a plain count ----------------------------------------------

PERIODS = [
    (dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in settings.EVENT_WORKING_HOURS
]


def _working_minute(moment: dt.datetime, exceptions: dict[dt.date, bool]) -> bool:
    """Whether the minute starting at ``moment`` (city time) is a working one."""
    day = moment.date()
    workday = exceptions.get(day, day.weekday() < 5)
    return workday and any(a <= moment.time() < b for a, b in PERIODS)


def _minutes_between(start: dt.datetime, end: dt.datetime, exceptions) -> int:
    count, moment = 0, start
    while moment < end:
        count += _working_minute(moment, exceptions)
        moment += dt.timedelta(minutes=1)
    return count


def _after_minutes(start: dt.datetime, minutes: int, exceptions) -> dt.datetime:
    moment = start
    while minutes:
        minutes -= _working_minute(moment, exceptions)
        moment += dt.timedelta(minutes=1)
    # Skip nothing more: the limit falls at the end of the last working minute.
    return moment


def _random_calendar(rng: random.Random, first: dt.date) -> dict[dt.date, bool]:
    days = [first + dt.timedelta(days=n) for n in range(40)]
    return {day: rng.random() < 0.3 for day in rng.sample(days, 8)}


@pytest.mark.parametrize("seed", range(6))
def test_working_hours_between_matches_a_minute_by_minute_count(seed):
    rng = random.Random(seed)
    first = dt.date(2026, 9, 28) + dt.timedelta(days=rng.randrange(60))
    exceptions = _random_calendar(rng, first)
    calendar = WorkCalendar(exceptions=exceptions)
    for _ in range(8):
        start = local(first.year, first.month, first.day) + dt.timedelta(
            minutes=rng.randrange(10 * 24 * 60)
        )
        end = start + dt.timedelta(minutes=rng.randrange(-60, 12 * 24 * 60))
        expected = _minutes_between(start, end, exceptions)
        assert round(calendar.working_hours_between(start, end) * 60, 6) == expected, (start, end)


@pytest.mark.parametrize("seed", range(6))
def test_add_working_hours_matches_a_minute_by_minute_count(seed):
    rng = random.Random(100 + seed)
    first = dt.date(2026, 9, 28) + dt.timedelta(days=rng.randrange(60))
    exceptions = _random_calendar(rng, first)
    calendar = WorkCalendar(exceptions=exceptions)
    for _ in range(8):
        start = local(first.year, first.month, first.day) + dt.timedelta(
            minutes=rng.randrange(10 * 24 * 60)
        )
        minutes = rng.randrange(1, 60 * 60)  # up to 60 working hours
        due = calendar.add_working_hours(start, minutes / 60)
        assert due == _after_minutes(start, minutes, exceptions), (start, minutes)
        assert round(calendar.working_hours_between(start, due) * 60, 6) == minutes


def test_long_spans_agree_with_the_sum_of_their_days():
    rng = random.Random(7)
    start = local(2026, 1, 1, 7, 13)
    exceptions = {
        dt.date(2026, 1, 1) + dt.timedelta(days=n): rng.random() < 0.5
        for n in rng.sample(range(700), 60)
    }
    calendar = WorkCalendar(exceptions=exceptions)
    end = start + dt.timedelta(days=650, minutes=77)
    whole = calendar.working_hours_between(start, end)
    cut = start + dt.timedelta(days=321, minutes=5)
    assert whole == pytest.approx(
        calendar.working_hours_between(start, cut) + calendar.working_hours_between(cut, end)
    )
    due = calendar.add_working_hours(start, whole)
    assert due <= end and calendar.working_hours_between(start, due) == pytest.approx(whole)
    assert _working_minute(due - dt.timedelta(minutes=1), exceptions)
    days = (end.date() - start.date()).days
    workdays = sum(calendar.is_workday(start.date() + dt.timedelta(days=n)) for n in range(1, days))
    first_day = _minutes_between(start, local(2026, 1, 2), exceptions) / 60
    last_day = _minutes_between(end.replace(hour=0, minute=0), end, exceptions) / 60
    assert whole == pytest.approx(first_day + workdays * 8 + last_day)


def test_zero_hours_from_outside_working_time_is_the_next_working_moment():
    calendar = WorkCalendar()
    assert calendar.add_working_hours(local(2026, 11, 14, 20, 0), 0) == local(2026, 11, 16, 8, 30)
    assert calendar.working_hours_between(MONDAY_1030, FRIDAY_4PM) == 0


@pytest.mark.parametrize("seed", range(3))
def test_spans_of_weeks_match_a_minute_by_minute_count(seed):
    # Long enough for the whole days between start and end to be counted by arithmetic.
    rng = random.Random(500 + seed)
    first = dt.date(2026, 9, 28)
    exceptions = {
        first + dt.timedelta(days=n): rng.random() < 0.4 for n in rng.sample(range(90), 20)
    }
    calendar = WorkCalendar(exceptions=exceptions)
    start = local(2026, 9, 28) + dt.timedelta(minutes=rng.randrange(5 * 24 * 60))
    end = start + dt.timedelta(minutes=rng.randrange(20 * 24 * 60, 60 * 24 * 60))
    minutes = _minutes_between(start, end, exceptions)
    assert round(calendar.working_hours_between(start, end) * 60, 6) == minutes
    assert calendar.add_working_hours(start, minutes / 60) == _after_minutes(
        start, minutes, exceptions
    )


def test_an_event_can_be_escalated_a_minute_past_its_limit_not_at_it(city):
    from django.core.exceptions import ValidationError

    from events.services import event_escalate

    event = city.report(at=FRIDAY_4PM)
    with pytest.raises(ValidationError):
        event_escalate(actor=city.municipal, event=event, reason="超时", at=event.stage_due_at)
    event_escalate(
        actor=city.municipal,
        event=event,
        reason="超时",
        at=event.stage_due_at + dt.timedelta(minutes=1),
    )
    event.refresh_from_db()
    assert event.escalated_at == MONDAY_1030 + dt.timedelta(minutes=1)
