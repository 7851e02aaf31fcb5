"""A month's event figures per grid and per department (a community's, a street's and the
city's add up their grids'), for the monthly report and the dashboards.

What each figure counts (the report's definitions say the same, ``exports.columns``):

- received: events reported in the month;
- settled: events closed (green) in the month; settled within goal: those closed at most
  ``EVENT_SETTLE_GOAL_DAYS`` calendar days (weekends and holidays included, 24 hours a day)
  after they were reported; ``settle_hours``: the hours from report to close of each, for the
  median;
- returns, send-backs, escalations: steps of those kinds taken in the month;
- overdue: events with a stage whose limit fell in the month (before now) while the stage was
  still open (it ended after its limit, or has not ended).

Per department: received are the events transferred to it in the month; settled those closed
in the month that it held at some time; returns those it returned, send-backs those sent back
to it, escalations those escalated while it held them; overdue the events with a stage the
department held (red or yellow, held by the department) past its limit in the month.

A month is read in the portal's time zone. A fixed number of aggregate queries, whatever the
number of grids or departments.
"""

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from archives import scope
from archives.months import first_day, month_bounds
from audits.stats import Rate
from events.models import Event, EventStep, Level, Light
from events.selectors.chain import DEPARTMENT_PERMISSION

Action = EventStep.Action

#: The step counts and the field of ``EventCounts`` each adds to.
_STEP_FIELDS = {
    Action.RETURN: "returns",
    Action.SEND_BACK: "send_backs",
    Action.ESCALATE: "escalations",
}


def settle_goal() -> dt.timedelta:
    """How long after its report an event may be closed to count as settled within goal."""
    return dt.timedelta(days=settings.EVENT_SETTLE_GOAL_DAYS)


@dataclass
class EventCounts:
    """A month's event figures of one grid, department or group of them; they add up. The
    monthly report stores them as they are (``exports.figures.MonthCounts.events``)."""

    received: int = 0
    settled: int = 0
    settled_within_goal: int = 0
    returns: int = 0
    send_backs: int = 0
    overdue: int = 0
    escalations: int = 0
    #: Hours from report to close of each event settled in the month (for the median),
    #: shortest first.
    settle_hours: list[float] = field(default_factory=list)

    def add(self, other: "EventCounts") -> None:
        for name in self.__dataclass_fields__:
            if name != "settle_hours":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.settle_hours = sorted(self.settle_hours + other.settle_hours)

    @property
    def within_goal(self) -> Rate:
        """Settled within goal, of all settled in the month ("no data" when none was)."""
        return Rate(self.settled_within_goal, self.settled)

    @property
    def median_settle_hours(self) -> float | None:
        return statistics.median(self.settle_hours) if self.settle_hours else None

    def settle(self, reported_at: dt.datetime, closed_at: dt.datetime | None) -> None:
        """Count one event settled in the month."""
        assert closed_at is not None  # the queries filter on it
        self.settled += 1
        if closed_at - reported_at <= settle_goal():
            self.settled_within_goal += 1
        self.settle_hours.append(round((closed_at - reported_at).total_seconds() / 3600, 2))


@dataclass(frozen=True)
class _Window:
    start: dt.datetime
    end: dt.datetime
    #: Limits falling before this have passed: the month's end, or now for this month.
    overdue_end: dt.datetime


def _window(month: dt.date, now: dt.datetime | None) -> _Window:
    start, end = month_bounds(first_day(month))
    return _Window(start, end, min(end, now or timezone.now()))


def _overdue_stages(window: _Window) -> QuerySet[EventStep]:
    """Stages whose limit fell in the window while they were still open."""
    return EventStep.objects.filter(
        stage_due_at__gte=window.start, stage_due_at__lt=window.overdue_end
    ).filter(Q(stage_ended_at__isnull=True) | Q(stage_ended_at__gt=F("stage_due_at")))


def _sorted(counts: dict[int, EventCounts]) -> dict[int, EventCounts]:
    for each in counts.values():
        each.settle_hours.sort()
    return dict(counts)


def _counts(keys: list[int] | None) -> dict[int, EventCounts]:
    if keys is None:
        return defaultdict(EventCounts)
    return {key: EventCounts() for key in keys}


def event_counts_by_grid(
    month: dt.date, grid_ids: Iterable[int] | None = None, *, now: dt.datetime | None = None
) -> dict[int, EventCounts]:
    """{grid ID: its figures for ``month`` (any day in it)}, for ``grid_ids`` (each of them, with
    zeros) or every grid with a figure. Four queries."""
    window = _window(month, now)
    ids = None if grid_ids is None else list(grid_ids)
    counts = _counts(ids)
    events = Event.objects.all() if ids is None else Event.objects.filter(grid_id__in=ids)
    steps = (
        EventStep.objects.all() if ids is None else EventStep.objects.filter(event__grid_id__in=ids)
    )
    received = events.filter(reported_at__gte=window.start, reported_at__lt=window.end)
    for grid_id, number in received.values_list("grid_id").annotate(n=Count("id")).order_by():
        counts[grid_id].received = number
    settled = events.filter(closed_at__gte=window.start, closed_at__lt=window.end)
    for grid_id, reported_at, closed_at in settled.values_list(
        "grid_id", "reported_at", "closed_at"
    ):
        counts[grid_id].settle(reported_at, closed_at)
    taken = steps.filter(action__in=list(_STEP_FIELDS), at__gte=window.start, at__lt=window.end)
    for grid_id, action, number in (
        taken.values_list("event__grid_id", "action").annotate(n=Count("id")).order_by()
    ):
        setattr(counts[grid_id], _STEP_FIELDS[action], number)
    overdue = _overdue_stages(window)
    if ids is not None:
        overdue = overdue.filter(event__grid_id__in=ids)
    for grid_id, number in (
        overdue.values_list("event__grid_id")
        .annotate(n=Count("event_id", distinct=True))
        .order_by()
    ):
        counts[grid_id].overdue = number
    return _sorted(counts)


def event_counts_by_department(
    month: dt.date,
    department_ids: Iterable[int] | None = None,
    *,
    grid_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> dict[int, EventCounts]:
    """{department ID: its figures for ``month`` (any day in it)}, for ``department_ids`` (each
    of them, with zeros) or every department with a figure; only events of ``grid_ids`` when
    given (a street's report). Four queries."""
    window = _window(month, now)
    ids = None if department_ids is None else list(department_ids)
    counts = _counts(ids)
    grids = None if grid_ids is None else list(grid_ids)

    def of_departments(steps: QuerySet[EventStep]) -> QuerySet[EventStep]:
        steps = steps.filter(department__isnull=False)
        if ids is not None:
            steps = steps.filter(department_id__in=ids)
        return steps if grids is None else steps.filter(event__grid_id__in=grids)

    steps = of_departments(EventStep.objects.all())
    transfers = steps.filter(action=Action.TRANSFER)
    received = transfers.filter(at__gte=window.start, at__lt=window.end)
    for department_id, number in (
        received.values_list("department_id")
        .annotate(n=Count("event_id", distinct=True))
        .order_by()
    ):
        counts[department_id].received = number
    settled = transfers.filter(
        event__closed_at__gte=window.start, event__closed_at__lt=window.end
    ).values_list("department_id", "event_id", "event__reported_at", "event__closed_at")
    for department_id, _event, reported_at, closed_at in set(settled):
        counts[department_id].settle(reported_at, closed_at)
    taken = steps.filter(action__in=list(_STEP_FIELDS), at__gte=window.start, at__lt=window.end)
    # A return names the department that returned it; a send-back or an escalation the one
    # holding it then (none when a community or street held it).
    for department_id, action, number in (
        taken.values_list("department_id", "action").annotate(n=Count("id")).order_by()
    ):
        setattr(counts[department_id], _STEP_FIELDS[action], number)
    held = of_departments(_overdue_stages(window)).filter(
        level=Level.DEPARTMENT, light__in=[Light.RED, Light.YELLOW]
    )
    for department_id, number in (
        held.values_list("department_id").annotate(n=Count("event_id", distinct=True)).order_by()
    ):
        counts[department_id].overdue = number
    return _sorted(counts)


def _month_of(starts: list[dt.datetime], closed_at: str) -> Case:
    """The index in ``starts`` of the month ``closed_at`` falls in (from the newest back)."""
    return Case(
        *[
            When(**{f"{closed_at}__gte": start}, then=Value(index))
            for index, start in reversed(list(enumerate(starts)))
        ],
        output_field=IntegerField(),
    )


def _shares(
    rows: Iterable[tuple[int, int, int, int]], groups: dict[int, list[Rate]]
) -> dict[int, list[float | None]]:
    """Add up (key, month index, settled, within goal) rows into ``groups``' rates."""
    for group, index, settled, within in rows:
        rate = groups[group][index]
        groups[group][index] = Rate(rate.successes + within, rate.total + settled)
    return {group: [rate.value for rate in rates] for group, rates in groups.items()}


def within_goal_by_month(
    months: list[dt.date], group_of_grid: dict[int, int]
) -> dict[int, list[float | None]]:
    """{group ID: [share settled within goal, per month of ``months``]} for the grids of
    ``group_of_grid`` ({grid ID: group ID}, such as a street); None for a month in which the
    group settled nothing. One aggregate query (a row per grid and month)."""
    groups = {group: [Rate(0, 0) for _m in months] for group in set(group_of_grid.values())}
    if not months:
        return {group: [] for group in groups}
    starts = [month_bounds(first_day(month))[0] for month in months]
    end = month_bounds(first_day(months[-1]))[1]
    settled = (
        Event.objects.filter(
            grid_id__in=list(group_of_grid), closed_at__gte=starts[0], closed_at__lt=end
        )
        .annotate(month=_month_of(starts, "closed_at"))
        .values_list("grid_id", "month")
        .annotate(
            settled=Count("id"),
            within=Count("id", filter=Q(closed_at__lte=F("reported_at") + settle_goal())),
        )
        .order_by()
    )
    return _shares(
        ((group_of_grid[grid], month, n, within) for grid, month, n, within in settled), groups
    )


def department_within_goal_by_month(
    months: list[dt.date], department_ids: list[int]
) -> dict[int, list[float | None]]:
    """{department ID: [share settled within goal, per month]} over the events each held at
    some time and that were closed in the month. One aggregate query."""
    groups = {d: [Rate(0, 0) for _m in months] for d in department_ids}
    if not months or not department_ids:
        return {d: [None] * len(months) for d in department_ids}
    starts = [month_bounds(first_day(month))[0] for month in months]
    end = month_bounds(first_day(months[-1]))[1]
    within_goal = Q(event__closed_at__lte=F("event__reported_at") + settle_goal())
    settled = (
        EventStep.objects.filter(
            action=Action.TRANSFER,
            department_id__in=department_ids,
            event__closed_at__gte=starts[0],
            event__closed_at__lt=end,
        )
        .annotate(month=_month_of(starts, "event__closed_at"))
        .values_list("department_id", "month")
        .annotate(
            settled=Count("event_id", distinct=True),
            within=Count("event_id", distinct=True, filter=within_goal),
        )
        .order_by()
    )
    return _shares(settled, groups)


def within_goal_trend(
    user: scope.User,
    months: list[dt.date],
    grid_streets: dict[int, int],
    street_names: dict[int, str],
) -> list[tuple[str, list[float | None]]]:
    """The dashboard chart's lines: (name, share settled within goal per month of ``months``)
    for each street of ``street_names`` over its grids of ``grid_streets``, then, for those
    who act for a department, for each of their departments. Three queries at most."""
    trend = within_goal_by_month(months, grid_streets)
    lines = [(name, trend.get(pk, [None] * len(months))) for pk, name in street_names.items()]
    departments = dict(
        scope.departments_to_work_for(user, permission=DEPARTMENT_PERMISSION)
        .order_by("code")
        .values_list("pk", "name")
    )
    if departments:
        by_department = department_within_goal_by_month(months, list(departments))
        lines += [(name, by_department[pk]) for pk, name in departments.items()]
    return lines
