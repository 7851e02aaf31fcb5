"""Writes of events: the chain's steps, categories and their time limits, the work calendar.
One module a concern; import them from here."""

from events.services.calendar import (
    work_calendar_day_delete,
    work_calendar_day_save,
    work_calendar_fill,
)
from events.services.categories import (
    event_category_save,
    event_time_limit_delete,
    event_time_limit_save,
)
from events.services.chain import (
    event_accept,
    event_confirm,
    event_delay_explain,
    event_escalate,
    event_handle,
    event_pass_up,
    event_report,
    event_return,
    event_send_back,
    event_transfer,
    photos_prepare,
)
from events.services.limits import DEFAULT_LIMIT_HOURS, stage_due_at, stage_limit_hours

__all__ = [
    "DEFAULT_LIMIT_HOURS",
    "event_accept",
    "event_category_save",
    "event_confirm",
    "event_delay_explain",
    "event_escalate",
    "event_handle",
    "event_pass_up",
    "event_report",
    "event_return",
    "event_send_back",
    "event_time_limit_delete",
    "event_time_limit_save",
    "event_transfer",
    "photos_prepare",
    "stage_due_at",
    "stage_limit_hours",
    "work_calendar_day_delete",
    "work_calendar_day_save",
    "work_calendar_fill",
]
