"""The month's event figures per grid and per department, against plain loops over a seeded city
of random events (returns, send-backs, overdue stages, escalations, months turning in the
night of the portal's time zone), and through the real chain."""

import datetime as dt
import statistics
from collections import defaultdict

import pytest
from django.utils import timezone

from archives.models import Department
from events.models import EventCategory, EventStep, Level, Light
from events.selectors.figures import (
    EventCounts,
    department_within_goal_by_month,
    event_counts_by_department,
    event_counts_by_grid,
    within_goal_by_month,
)
from events.services import (
    event_accept,
    event_confirm,
    event_escalate,
    event_handle,
    event_pass_up,
    event_return,
    event_send_back,
    event_transfer,
)
from tests import factories
from tests.events.conftest import TUESDAY_9AM
from tests.events.figures_city import SEED_NOW, History, seed_events

Action = EventStep.Action
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        timezone.make_aware(dt.datetime(month.year, month.month, 1)),
        timezone.make_aware(dt.datetime(following.year, following.month, 1)),
    )


def expected(histories: list[History], month: dt.date, key) -> dict[int, dict]:
    """The figures counted one event and one step at a time. ``key(history, step)`` names the
    group a step counts for (None: none); for the event's own figures step is None."""
    start, end = bounds(month)
    overdue_end = min(end, SEED_NOW)
    figures: dict[int, dict] = defaultdict(
        lambda: {
            "received": set(),
            "settled": [],
            "returns": 0,
            "send_backs": 0,
            "escalations": 0,
            "overdue": set(),
        }
    )
    for number, history in enumerate(histories):
        for group in key(history, None):
            if start <= history.reported_at < end:
                figures[group]["received"].add(number)
            if history.closed_at and start <= history.closed_at < end:
                figures[group]["settled"].append(history.closed_at - history.reported_at)
        for step in history.steps:
            for group in key(history, step):
                if start <= step.at < end:
                    for action, name in (
                        (Action.RETURN, "returns"),
                        (Action.SEND_BACK, "send_backs"),
                        (Action.ESCALATE, "escalations"),
                    ):
                        figures[group][name] += step.action == action
            due = step.stage_due_at
            if (
                due
                and start <= due < overdue_end
                and (step.stage_ended_at is None or step.stage_ended_at > due)
            ):
                for group in key(history, step, overdue=True):
                    figures[group]["overdue"].add(number)
    return figures


def by_grid(history, step, overdue=False):
    return [history.grid]


def by_department(history, step, overdue=False):
    transfers = {s.department for s in history.steps if s.action == Action.TRANSFER}
    if step is None:  # settled: the departments that held it
        return sorted(transfers)
    if overdue:
        held = step.level == Level.DEPARTMENT and step.light in (Light.RED, Light.YELLOW)
        return [step.department] if held else []
    return [step.department] if step.department else []


def by_department_received(history, month):
    start, end = bounds(month)
    received = defaultdict(set)
    for s in history.steps:
        if s.action == Action.TRANSFER and start <= s.at < end:
            received[s.department].add(id(history))
    return received


def assert_matches(counts: EventCounts, figures: dict, *, received: int | None = None) -> None:
    settled = figures["settled"]
    assert counts.received == (len(figures["received"]) if received is None else received)
    assert counts.settled == len(settled)
    assert counts.settled_within_goal == sum(d <= dt.timedelta(days=3) for d in settled)
    hours = [d.total_seconds() / 3600 for d in settled]
    if hours:
        assert counts.median_settle_hours == pytest.approx(statistics.median(hours), abs=0.01)
        assert counts.within_goal.value == pytest.approx(counts.settled_within_goal / len(hours))
    else:
        assert counts.median_settle_hours is None and counts.within_goal.value is None
    for name in ("returns", "send_backs", "escalations"):
        assert getattr(counts, name) == figures[name], name
    assert counts.overdue == len(figures["overdue"])


@pytest.fixture
def seeded(db):
    grids = [factories.make_grid(code=f"R{i}", street_code=f"S{i % 3}") for i in range(10)]
    departments = [
        Department.objects.create(code=f"d{i}", name=f"局{i}", serves_whole_city=True)
        for i in range(4)
    ]
    category = EventCategory.objects.create(code="random", name="随机")
    reporter = factories.make_user("reporter")
    histories = seed_events(
        seed=19,
        count=400,
        grids=grids,
        departments=departments,
        category=category,
        reporter=reporter,
    )
    return grids, departments, histories


def test_the_seeded_city_has_every_kind_of_figure(seeded):
    _grids, _departments, histories = seeded
    actions = {s.action for h in histories for s in h.steps}
    assert {Action.RETURN, Action.SEND_BACK, Action.ESCALATE, Action.TRANSFER} <= actions
    # Some events are reported in the first local hours of a month (UTC: the month before).
    assert any(h.reported_at.astimezone(dt.UTC).day != h.reported_at.day for h in histories)


@pytest.mark.parametrize("month", MONTHS)
def test_grid_figures_match_a_plain_loop(seeded, month):
    grids, _departments, histories = seeded
    counts = event_counts_by_grid(month, [g.pk for g in grids], now=SEED_NOW)
    figures = expected(histories, month, by_grid)
    assert set(counts) == {g.pk for g in grids}
    for grid in grids:
        assert_matches(counts[grid.pk], figures[grid.pk])
    assert sum(c.received for c in counts.values()) > 0


@pytest.mark.parametrize("month", MONTHS)
def test_department_figures_match_a_plain_loop(seeded, month):
    _grids, departments, histories = seeded
    counts = event_counts_by_department(month, now=SEED_NOW)
    figures = expected(histories, month, by_department)
    received: dict[int, int] = defaultdict(int)
    for history in histories:
        for department, events in by_department_received(history, month).items():
            received[department] += len(events)
    for department in departments:
        assert_matches(
            counts.get(department.pk, EventCounts()),
            figures[department.pk],
            received=received[department.pk],
        )
    assert any(c.returns for c in counts.values())


def test_a_street_s_grids_add_up_to_the_street_and_the_city(seeded):
    _grids, _departments, histories = seeded
    month = MONTHS[2]
    counts = event_counts_by_grid(month, now=SEED_NOW)
    total = EventCounts()
    for grid_counts in counts.values():
        total.add(grid_counts)
    figures = expected(histories, month, lambda h, s, overdue=False: [0])
    assert_matches(total, figures[0])


def test_department_figures_for_a_street_s_grids_only(seeded):
    grids, departments, histories = seeded
    month = MONTHS[2]
    street_grids = [g.pk for g in grids if g.community.street.code == "S1"]
    counts = event_counts_by_department(
        month, [d.pk for d in departments], grid_ids=street_grids, now=SEED_NOW
    )
    of_street = [h for h in histories if h.grid in street_grids]
    figures = expected(of_street, month, by_department)
    for department in departments:
        received = sum(len(by_department_received(h, month)[department.pk]) for h in of_street)
        assert_matches(counts[department.pk], figures[department.pk], received=received)


def test_the_six_month_trend_matches_the_month_figures(seeded):
    grids, departments, _histories = seeded
    street_of = {g.pk: g.community.street_id for g in grids}
    trend = within_goal_by_month(MONTHS, street_of)
    for index, month in enumerate(MONTHS):
        counts = event_counts_by_grid(month, now=SEED_NOW)
        for street in set(street_of.values()):
            total = EventCounts()
            for grid_id, grid_counts in counts.items():
                if street_of[grid_id] == street:
                    total.add(grid_counts)
            assert trend[street][index] == total.within_goal.value
    by_department_trend = department_within_goal_by_month(MONTHS, [d.pk for d in departments])
    for index, month in enumerate(MONTHS):
        counts = event_counts_by_department(month, now=SEED_NOW)
        for department in departments:
            value = counts.get(department.pk, EventCounts()).within_goal.value
            assert by_department_trend[department.pk][index] == value


@pytest.mark.parametrize("grids", [2, 10])
def test_a_fixed_number_of_queries_whatever_the_number_of_grids(
    db, grids, django_assert_num_queries
):
    made = [factories.make_grid(code=f"Q{i}", street_code=f"Q{i % 2}") for i in range(grids)]
    department = Department.objects.create(code="q", name="局", serves_whole_city=True)
    category = EventCategory.objects.create(code="q", name="问题")
    seed_events(
        seed=grids,
        count=20 * grids,
        grids=made,
        departments=[department],
        category=category,
        reporter=factories.make_user("q"),
    )
    with django_assert_num_queries(4):
        event_counts_by_grid(MONTHS[2], [g.pk for g in made], now=SEED_NOW)
    with django_assert_num_queries(4):
        event_counts_by_department(MONTHS[2], now=SEED_NOW)
    with django_assert_num_queries(1):
        within_goal_by_month(MONTHS, {g.pk: g.community.street_id for g in made})


def test_through_the_chain_a_department_s_return_send_back_overdue_and_escalation(city):
    """The services record what the figures count: a return names the department that
    returned it, a send-back the department it goes back to, an overdue red light at the
    department is the department's, and an escalation while it holds the event too."""
    hour = dt.timedelta(hours=1)
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=TUESDAY_9AM + hour)
    event_transfer(
        actor=city.street_official, event=event, department=city.housing, at=TUESDAY_9AM + 2 * hour
    )
    event_return(actor=city.housing_staff, event=event, reason="请补充", at=TUESDAY_9AM + 3 * hour)
    event_transfer(
        actor=city.street_official, event=event, department=city.housing, at=TUESDAY_9AM + 4 * hour
    )
    # Left red at the department for a week: over its limit, escalated.
    late = TUESDAY_9AM + dt.timedelta(days=7)
    event_escalate(actor=city.street_official, event=event, reason="超时未受理", at=late)
    event_accept(actor=city.housing_staff, event=event, at=late + hour)
    event_handle(actor=city.housing_staff, event=event, note="已清运", at=late + 2 * hour)
    event_send_back(actor=city.community_staff, event=event, reason="仍有", at=late + 3 * hour)
    event_handle(actor=city.housing_staff, event=event, note="已清运", at=late + 4 * hour)
    event_confirm(actor=city.community_staff, event=event, at=late + 5 * hour)
    now = TUESDAY_9AM + dt.timedelta(days=20)

    department = event_counts_by_department(TUESDAY_9AM.date(), [city.housing.pk], now=now)
    housing = department[city.housing.pk]
    assert (housing.received, housing.returns, housing.send_backs) == (1, 1, 1)
    assert (housing.escalations, housing.overdue, housing.settled) == (1, 1, 1)
    assert housing.settled_within_goal == 0
    assert housing.median_settle_hours == pytest.approx(7 * 24 + 5)
    grid = event_counts_by_grid(TUESDAY_9AM.date(), [city.grid.pk, city.other_grid.pk], now=now)
    assert grid[city.other_grid.pk] == EventCounts()
    counts = grid[city.grid.pk]
    assert (counts.received, counts.settled, counts.returns, counts.send_backs) == (1, 1, 1, 1)
    assert (counts.overdue, counts.escalations) == (1, 1)
    # Before the limit passed, nothing was overdue yet.
    early = event_counts_by_grid(TUESDAY_9AM.date(), [city.grid.pk], now=TUESDAY_9AM + 5 * hour)
    assert early[city.grid.pk].overdue == 0


def test_settled_within_goal_is_three_calendar_days_to_the_minute(city):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=TUESDAY_9AM)
    event_handle(actor=city.community_staff, event=event, note="已处理", at=TUESDAY_9AM)
    event_confirm(actor=city.community_staff, event=event, at=TUESDAY_9AM + dt.timedelta(days=3))
    late = city.report()
    event_accept(actor=city.community_staff, event=late, at=TUESDAY_9AM)
    event_handle(actor=city.community_staff, event=late, note="已处理", at=TUESDAY_9AM)
    event_confirm(
        actor=city.community_staff,
        event=late,
        at=TUESDAY_9AM + dt.timedelta(days=3, minutes=1),
    )
    counts = event_counts_by_grid(TUESDAY_9AM.date(), [city.grid.pk])[city.grid.pk]
    assert (counts.settled, counts.settled_within_goal) == (2, 1)
    assert counts.within_goal.value == 0.5
