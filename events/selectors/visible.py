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


def event_visible(user: User, event: Event) -> bool:
    return events_visible(user).filter(pk=event.pk).exists()
