"""Working hours: the time limits of events count only the hours of working days.

A working day is Monday to Friday unless the portal's work calendar says otherwise (a public
holiday on a weekday, an adjusted working day 调休 on a weekend: ``WorkCalendarDay`` rows).
Within a working day only ``EVENT_WORKING_HOURS`` count (by default 8:30–12:00 and
13:30–18:00, eight hours), in the portal's time zone.

Plain functions over a ``WorkCalendar`` built from those rows (``events.selectors``
``work_calendar``): a year nobody has entered yet is Monday to Friday, never an error.
"""

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

#: No limit runs longer than this (2,000 working hours is about a year).
_MAX_DAYS = 1_000


def _city_zone() -> dt.tzinfo:
    """The city's time zone (``TIME_ZONE``), not the one a page may have activated for its
    reader: a working day is the city's."""
    return timezone.get_default_timezone()


def _working_periods() -> list[tuple[dt.time, dt.time]]:
    return [
        (dt.time.fromisoformat(a), dt.time.fromisoformat(b))
        for a, b in settings.EVENT_WORKING_HOURS
    ]


def _working_day_length() -> dt.timedelta:
    """The working hours of one working day (eight by default)."""
    return sum(
        (
            dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
            for start, end in _working_periods()
        ),
        dt.timedelta(),
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Dates that are not what their weekday says (True: a working day)."""

    exceptions: Mapping[dt.date, bool] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def workdays_between(self, first: dt.date, last: dt.date) -> int:
        """Working days from ``first`` up to, not including, ``last``: five a week, and the
        calendar's exceptions in that span."""
        days = (last - first).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        count = weeks * 5 + sum((first.weekday() + k) % 7 < 5 for k in range(rest))
        for day, workday in self.exceptions.items():
            if first <= day < last and workday != (day.weekday() < 5):
                count += 1 if workday else -1
        return count

    def _periods(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The working periods of ``day`` as aware datetimes (none on a day off)."""
        if not self.is_workday(day):
            return
        zone = _city_zone()
        for start, end in _working_periods():
            yield (
                dt.datetime.combine(day, start, tzinfo=zone),
                dt.datetime.combine(day, end, tzinfo=zone),
            )

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` working hours after ``start`` (which may be outside them: an
        event reported on Saturday evening starts counting on Monday morning)."""
        remaining = dt.timedelta(hours=hours)
        cursor = timezone.localtime(start, _city_zone())
        day = first_day = cursor.date()
        day_length = _working_day_length()
        for _ in range(_MAX_DAYS):
            if day != first_day and remaining > day_length:
                # A whole day that cannot hold the rest: counted, not walked period by period.
                if self.is_workday(day):
                    remaining -= day_length
                day += dt.timedelta(days=1)
                continue
            for period_start, period_end in self._periods(day):
                begin = max(cursor, period_start)
                if begin >= period_end:
                    continue
                available = period_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError(f"{hours} working hours do not fit in {_MAX_DAYS} days")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        start, end = timezone.localtime(start, _city_zone()), timezone.localtime(end, _city_zone())
        total = dt.timedelta()
        for day in sorted({start.date(), end.date()}):
            for period_start, period_end in self._periods(day):
                overlap = min(end, period_end) - max(start, period_start)
                if overlap > dt.timedelta():
                    total += overlap
        # The whole days between the two: counted, not walked period by period.
        between = self.workdays_between(start.date() + dt.timedelta(days=1), end.date())
        total += between * _working_day_length()
        return total.total_seconds() / 3600
