"""A seeded city of random events for the figures' tests: each event's chain is made up step by
step the way ``events.services`` records it (who holds it after each step, the stage each
light starts, its limit and when it ended), written in bulk, and kept as plain Python
histories that the tests count with loops of their own."""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from archives.models import Department, Grid
from events.models import Event, EventCategory, EventStep, Level, Light

Action = EventStep.Action

#: 1 September 2026, 00:00 in the portal's time zone (16:00 UTC the day before).
SEED_START = timezone.make_aware(dt.datetime(2026, 9, 1))
#: "Now" for the seeded city: the figures of December stop here.
SEED_NOW = timezone.make_aware(dt.datetime(2026, 12, 10, 15, 0))


@dataclass
class Step:
    action: str
    at: dt.datetime
    light: str
    level: str
    department: int | None
    stage_due_at: dt.datetime | None = None
    stage_ended_at: dt.datetime | None = None


@dataclass
class History:
    grid: int
    reported_at: dt.datetime
    closed_at: dt.datetime | None = None
    steps: list[Step] = field(default_factory=list)


def _reported_at(rng: random.Random) -> dt.datetime:
    """Mostly anywhere in the seeded months, often in the night around a month's turn (the
    first hours of a local month are the last of the month before in UTC)."""
    if rng.random() < 0.3:
        month_start = timezone.make_aware(dt.datetime(2026, rng.choice([10, 11, 12]), 1))
        return month_start + dt.timedelta(minutes=rng.randint(-600, 600))
    return SEED_START + dt.timedelta(minutes=rng.randint(0, 100 * 24 * 60))


def _history(rng: random.Random, grid: int, departments: list[int]) -> History:
    at = _reported_at(rng)
    history = History(grid=grid, reported_at=at)
    light, level, department, transferred_by = Light.RED, Level.COMMUNITY, None, ""
    escalated = False

    def step(action: str, new_light: str | None = None, new_level: str | None = None, to=None):
        nonlocal light, level, department
        new_stage = new_light is not None and (new_light != light or new_level != level)
        if new_light is not None:
            light = new_light
        if new_level is not None:
            level = new_level
            if level == Level.DEPARTMENT and to is not None:
                department = to
        step_department = to or (department if level == Level.DEPARTMENT else None)
        due = None
        if new_stage or action == Action.REPORT:
            for earlier in history.steps:
                if earlier.stage_due_at is not None and earlier.stage_ended_at is None:
                    earlier.stage_ended_at = at
            if light != Light.GREEN:
                due = at + dt.timedelta(hours=rng.choice([4, 12, 24, 48, 72]))
        history.steps.append(Step(action, at, light, level, step_department, due))

    step(Action.REPORT)
    while True:
        at += dt.timedelta(minutes=rng.randint(10, 4 * 24 * 60))
        if at > SEED_NOW or rng.random() < 0.08:
            return history  # still open
        if light in (Light.RED, Light.YELLOW) and not escalated and rng.random() < 0.1:
            escalated = True
            step(Action.ESCALATE)
            continue
        if light in (Light.RED, Light.YELLOW) and rng.random() < 0.05:
            step(Action.EXPLAIN_DELAY)
            continue
        if light == Light.RED and level == Level.COMMUNITY:
            if rng.random() < 0.5:
                step(Action.ACCEPT, Light.YELLOW, level)
            else:
                step(Action.PASS_UP, Light.RED, Level.STREET)
        elif light == Light.RED and level == Level.STREET:
            if rng.random() < 0.3:
                step(Action.ACCEPT, Light.YELLOW, level)
            else:
                transferred_by = level
                step(Action.TRANSFER, Light.RED, Level.DEPARTMENT, to=rng.choice(departments))
        elif light == Light.RED:  # held by a department
            if rng.random() < 0.3:
                returning, department = department, None
                step(Action.RETURN, Light.RED, transferred_by or Level.STREET, to=returning)
            else:
                step(Action.ACCEPT, Light.YELLOW, level)
        elif light == Light.YELLOW:
            step(Action.HANDLE, Light.BLUE, level)
        elif light == Light.BLUE:
            if rng.random() < 0.3:
                step(Action.SEND_BACK, Light.YELLOW, level, to=department)
            else:
                step(Action.CONFIRM, Light.GREEN, level)
                history.closed_at = at
                return history


def seed_events(
    *,
    seed: int,
    count: int,
    grids: list[Grid],
    departments: list[Department],
    category: EventCategory,
    reporter,
) -> list[History]:
    """``count`` random events in ``grids``, written to the database; their histories."""
    rng = random.Random(seed)
    department_ids = [d.pk for d in departments]
    histories = [_history(rng, rng.choice(grids).pk, department_ids) for _ in range(count)]
    grid_of = {grid.pk: grid for grid in grids}
    events = Event.objects.bulk_create(
        [_event(h, grid_of[h.grid], category, reporter) for h in histories]
    )
    EventStep.objects.bulk_create(
        [
            EventStep(
                event=event,
                action=s.action,
                actor=reporter,
                at=s.at,
                light=s.light,
                level=s.level,
                department_id=s.department,
                stage_due_at=s.stage_due_at,
                stage_ended_at=s.stage_ended_at,
            )
            for event, history in zip(events, histories, strict=True)
            for s in history.steps
        ]
    )
    return histories


def _event(history: History, grid: Grid, category: EventCategory, reporter) -> Event:
    last = history.steps[-1]
    stage = [s for s in history.steps if s.stage_due_at is not None or s.action == Action.CONFIRM]
    escalated = [s.at for s in history.steps if s.action == Action.ESCALATE]
    return Event(
        category=category,
        description="随机事件",
        grid=grid,
        community_id=grid.community_id,
        street_id=grid.community.street_id,
        reporter=reporter,
        reported_at=history.reported_at,
        light=last.light,
        level=last.level,
        department_id=last.department if last.level == Level.DEPARTMENT else None,
        stage_started_at=stage[-1].at,
        stage_due_at=stage[-1].stage_due_at,
        closed_at=history.closed_at,
        escalated_at=escalated[0] if escalated else None,
        returns=sum(s.action == Action.RETURN for s in history.steps),
        send_backs=sum(s.action == Action.SEND_BACK for s in history.steps),
    )
