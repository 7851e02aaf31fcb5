"""Reads of events: who sees which, which steps one may take, what waits for whom, the work
calendar, and the month's figures. One module a concern; import them from here."""

from events.selectors.calendar import (
    work_calendar,
    work_calendar_around,
    work_calendar_years_missing,
)
from events.selectors.chain import (
    COMMUNITY_PERMISSION,
    DEPARTMENT_PERMISSION,
    ESCALATE_PERMISSION,
    NEEDS_TEXT,
    REPORT_PERMISSION,
    STREET_PERMISSION,
    Action,
    Refusal,
    acts_for_holder,
    event_action_refusal,
    event_actions,
    is_overdue,
    may_transfer_to,
    outside_scope,
)
from events.selectors.figures import (
    EventCounts,
    event_counts_by_department,
    event_counts_by_grid,
    within_goal_trend,
)
from events.selectors.lists import (
    event_overdue_hours,
    event_steps,
    events_long_open,
    events_waiting_for,
    overdue_condition,
)
from events.selectors.long_open import LONG_OPEN_SHOWN, LongOpenGroup, long_open_by_department
from events.selectors.visible import event_visible, events_visible, events_visible_count

__all__ = [
    "COMMUNITY_PERMISSION",
    "DEPARTMENT_PERMISSION",
    "ESCALATE_PERMISSION",
    "LONG_OPEN_SHOWN",
    "NEEDS_TEXT",
    "REPORT_PERMISSION",
    "STREET_PERMISSION",
    "Action",
    "EventCounts",
    "LongOpenGroup",
    "Refusal",
    "acts_for_holder",
    "event_action_refusal",
    "event_actions",
    "event_counts_by_department",
    "event_counts_by_grid",
    "event_overdue_hours",
    "event_steps",
    "event_visible",
    "events_long_open",
    "events_visible",
    "events_visible_count",
    "events_waiting_for",
    "is_overdue",
    "long_open_by_department",
    "may_transfer_to",
    "outside_scope",
    "overdue_condition",
    "within_goal_trend",
    "work_calendar",
    "work_calendar_around",
    "work_calendar_years_missing",
]
