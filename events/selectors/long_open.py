"""The city's list of events red or yellow for too long, grouped by who holds them: each
department holding some, then the communities' and the streets' (events not transferred)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from accounts.types import User
from archives.models import Department
from events.models import Event, Level
from events.selectors.chain import is_overdue
from events.selectors.lists import events_long_open

#: At most this many events are listed (the groups' counts are all of them).
LONG_OPEN_SHOWN = 1000


@dataclass
class LongOpenGroup:
    name: str
    count: int
    #: The group's events, longest open first; each carries ``overdue_now``.
    events: list[Event] = field(default_factory=list)


def long_open_by_department(
    user: User, *, days: int, now: dt.datetime | None = None
) -> list[LongOpenGroup]:
    """The events ``user`` sees that have been red or yellow for more than ``days`` days, one
    group a department holding some (by name), then the communities' and the streets'; three
    queries whatever the number of events."""
    now = now or timezone.now()
    events = events_long_open(user, days=days, now=now)
    counts: dict[tuple[str, int | None], int] = {}
    for row in events.order_by().values("level", "department").annotate(count=Count("pk")):
        key = (row["level"], row["department"] if row["level"] == Level.DEPARTMENT else None)
        counts[key] = counts.get(key, 0) + row["count"]
    department_ids = {dep for level, dep in counts if level == Level.DEPARTMENT and dep}
    names = dict(Department.objects.filter(pk__in=department_ids).values_list("pk", "name"))
    groups: dict[tuple[str, int | None], LongOpenGroup] = {}
    for key in sorted(
        counts,
        key=lambda k: (k[0] != Level.DEPARTMENT, k[0], names.get(k[1] or 0, "")),
    ):
        level, department = key
        name = (
            names.get(department or 0, "") if level == Level.DEPARTMENT else str(Level(level).label)
        )
        groups[key] = LongOpenGroup(name=name, count=counts[key])
    listed = events.select_related("category", "grid", "department").order_by(
        "stage_started_at", "pk"
    )[:LONG_OPEN_SHOWN]
    for event in listed:
        key = (event.level, event.department_id if event.level == Level.DEPARTMENT else None)
        group = groups.get(key)
        if group is not None:
            event.overdue_now = is_overdue(event, now)  # type: ignore[attr-defined]
            group.events.append(event)
    return list(groups.values())
