"""Which events a person sees: the chain's first question, asked before any other (someone who
cannot see an event is told nothing of where it stands)."""

from typing import Any

from django.db.models import Q, QuerySet

from accounts.types import User
from archives import scope
from events.models import Event, EventStep


def _passed_to(department_ids: list[int]) -> QuerySet[EventStep, Any]:
    """The events ever transferred to (or returned by) these departments, from the steps table
    alone (index ``event_step_department_event``)."""
    return EventStep.objects.filter(department__in=department_ids).values("event_id")


def events_visible(user: User, queryset: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """Events of the user's area (grid, community, street grants), those transferred to their
    department, those escalated to the inspection office for its staff, and every event for the
    whole city (``archives.scope.restrict_passed_work``)."""
    return scope.restrict_passed_work(
        Event.objects.all() if queryset is None else queryset,
        user,
        grid_path="grid",
        passed_to=_passed_to,
        inspected=Q(escalated_at__isnull=False),
    )


def events_visible_count(user: User) -> int | None:
    """How many events ``events_visible(user)`` holds, when the steps table alone can say it (a
    department's staff: the events ever passed to their departments); None otherwise."""
    department_ids = scope.passed_work_departments_only(user, Event)
    if department_ids is None:
        return None
    return _passed_to(department_ids).distinct().count()


def event_visible(user: User, event: Event) -> bool:
    return events_visible(user).filter(pk=event.pk).exists()
