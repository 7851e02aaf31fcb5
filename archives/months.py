"""Calendar months, the period of every monthly figure: the dashboard's, the audits' and the
monthly report's. A month is named by a date in it; answers name it by its first day.

The one place for month arithmetic, in the lowest layer that needs it, so that "last month",
"has the month ended" and "the first instant of the next month" mean the same everywhere.
"""

import datetime as dt

from django.utils import timezone

#: How a month is written in a query string or on the command line: ``2026-10``.
MONTH_FORMAT = "%Y-%m"


def first_day(month: dt.date) -> dt.date:
    """The first day of ``month`` (any day in it)."""
    return month.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    """The first day of the month before ``month`` (any day in it)."""
    return (first_day(month) - dt.timedelta(days=1)).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after ``month`` (any day in it)."""
    return (first_day(month) + dt.timedelta(days=32)).replace(day=1)


def months_back(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months before ``month`` (0: its own)."""
    start = first_day(month)
    for _ in range(count):
        start = previous_month(start)
    return start


def last_months(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the last ``count`` months, the current one last."""
    return [months_back(today, back) for back in reversed(range(count))]


def last_month(today: dt.date | None = None) -> dt.date:
    """The first day of the month before ``today``'s (default: the local date now): the
    newest month that has ended."""
    return previous_month(today or timezone.localdate())


def has_ended(month: dt.date, today: dt.date | None = None) -> bool:
    """Whether ``month`` (any day in it) is over on ``today`` (default: the local date now):
    only then are its figures final, and may it be published."""
    return first_day(month) < first_day(today or timezone.localdate())


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` (any day in it) and of the next, in local time: visit
    times compare with these through their index, where ``__date`` lookups would not."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first_day(month), dt.time.min, tzinfo=tz),
        dt.datetime.combine(next_month(month), dt.time.min, tzinfo=tz),
    )


def month_text(month: dt.date) -> str:
    """``month`` written as ``parse_month`` reads it back: ``2026-10``."""
    return month.strftime(MONTH_FORMAT)


def parse_month(text: str | None) -> dt.date | None:
    """The first day of the month written ``2026-10``; None for anything else."""
    try:
        return dt.datetime.strptime(text or "", MONTH_FORMAT).date()
    except ValueError:
        return None
