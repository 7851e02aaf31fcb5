"""Which events a person sees, and which wait for them."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.types import User
from archives import scope
from events.models import Event, EventStep, Level, Light
from events.selectors.chain import (
    COMMUNITY_PERMISSION,
    DEPARTMENT_PERMISSION,
    STREET_PERMISSION,
)
from events.selectors.visible import events_visible


def events_waiting_for(user: User) -> QuerySet[Event]:
    """The open events waiting for ``user`` to act: to accept or handle as the community, the
    street or a department holding them, or to evaluate as the reporting community; the most
    urgent limit first."""
    waiting = Q(pk__in=[])
    community_grids = scope.grids_to_work_in(user, permission=COMMUNITY_PERMISSION)
    if community_grids.exists():
        held = Q(level=Level.COMMUNITY, light__in=[Light.RED, Light.YELLOW])
        waiting |= (held | Q(light=Light.BLUE)) & Q(grid__in=community_grids)
    street_grids = scope.grids_to_work_in(user, permission=STREET_PERMISSION)
    if street_grids.exists():
        waiting |= Q(level=Level.STREET, light__in=[Light.RED, Light.YELLOW], grid__in=street_grids)
    departments = scope.departments_to_work_for(user, permission=DEPARTMENT_PERMISSION)
    if departments.exists():
        waiting |= Q(
            level=Level.DEPARTMENT,
            light__in=[Light.RED, Light.YELLOW],
            department__in=departments,
        )
    return (
        events_visible(user)
        .filter(waiting)
        .select_related("category", "grid", "department")
        .order_by("stage_due_at", "pk")
    )


def overdue_condition(now: dt.datetime | None = None) -> Q:
    """Open events over their current stage's limit."""
    return ~Q(light=Light.GREEN) & Q(stage_due_at__lt=now or timezone.now())


def event_overdue_hours(event: Event, now: dt.datetime | None = None) -> int | None:
    """How many whole hours (wall-clock) an open event is past its current stage's limit: 0 in
    its first hour over, None when it is not overdue (closed, no limit, or still in time)."""
    if event.light == Light.GREEN or event.stage_due_at is None:
        return None
    late = (now or timezone.now()) - event.stage_due_at
    if late <= dt.timedelta(0):
        return None
    return int(late.total_seconds() // 3600)


def events_long_open(user: User, *, days: int, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Events ``user`` sees that have been red or yellow for more than ``days`` days (since
    their current stage began), the city's list of "why is this light still on"."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    return events_visible(user).filter(
        light__in=[Light.RED, Light.YELLOW], stage_started_at__lt=since
    )


def event_steps(event: Event) -> QuerySet[EventStep]:
    """The event's chain as it happened, oldest first, with who took each step."""
    return event.steps.select_related("actor", "department").prefetch_related("photos")
