"""The work calendar as the time limits read it, and the years nobody has entered yet."""

import datetime as dt

from events.calendar import WorkCalendar
from events.models import WorkCalendarDay


def work_calendar(start: dt.date, end: dt.date) -> WorkCalendar:
    """The calendar's exceptions from ``start`` to ``end`` (one query)."""
    rows = WorkCalendarDay.objects.filter(date__range=(start, end)).values_list(
        "date", "is_workday"
    )
    return WorkCalendar(exceptions=dict(rows))


def work_calendar_around(moment: dt.datetime) -> WorkCalendar:
    """Enough calendar for any limit or delay measured from or to ``moment`` (a year and a
    half either side: the longest limit is about a year of working hours)."""
    day = moment.date()
    return work_calendar(day - dt.timedelta(days=550), day + dt.timedelta(days=550))


def work_calendar_years_missing(years: list[int]) -> list[int]:
    """Those of ``years`` with no holiday entered: their limits count Monday to Friday only,
    and the calendar's page says so."""
    entered = set(
        WorkCalendarDay.objects.filter(date__year__in=years, is_workday=False)
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [year for year in years if year not in entered]
