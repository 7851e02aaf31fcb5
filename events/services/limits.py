"""The time limit of a stage: working hours by category and urgency, counted on the work
calendar."""

import datetime as dt

from events.models import Event, EventTimeLimit, Stage, Urgency
from events.selectors import work_calendar_around

#: Working hours a stage may take where the category's table says nothing.
DEFAULT_LIMIT_HOURS: dict[str, dict[str, int]] = {
    Urgency.NORMAL: {Stage.ACCEPT: 4, Stage.HANDLE: 16, Stage.EVALUATE: 8},
    Urgency.URGENT: {Stage.ACCEPT: 2, Stage.HANDLE: 8, Stage.EVALUATE: 8},
    Urgency.CRITICAL: {Stage.ACCEPT: 1, Stage.HANDLE: 4, Stage.EVALUATE: 4},
}


def stage_limit_hours(event: Event, stage: str) -> int:
    row = EventTimeLimit.objects.filter(
        category_id=event.category_id, urgency=event.urgency, stage=stage
    ).first()
    return row.working_hours if row else DEFAULT_LIMIT_HOURS[event.urgency][stage]


def stage_due_at(event: Event, stage: str, start: dt.datetime) -> dt.datetime:
    """When a ``stage`` of ``event`` starting at ``start`` is due."""
    return work_calendar_around(start).add_working_hours(start, stage_limit_hours(event, stage))
