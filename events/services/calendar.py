"""The work calendar: filled from ``chinese_calendar`` for the years it knows, edited by
administrators for the others (``WorkCalendarDay``)."""

import datetime as dt

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.model_meta import history_attribution_set
from events.models import WorkCalendarDay


def _chinese_name(name: str | None) -> str:
    """The library names holidays in English ("National Day"); the calendar, as the State
    Council's notice and administrators' own entries, in Chinese (国庆节)."""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == name:
            return str(holiday.chinese)
    return name or ""


def _library_days(year: int) -> list[WorkCalendarDay] | None:
    """The year's exceptions as the library has them, or None for a year it does not know."""
    day, rows = dt.date(year, 1, 1), []
    try:
        while day.year == year:
            is_workday = chinese_calendar.is_workday(day)
            if is_workday != (day.weekday() < 5):
                _on_holiday, name = chinese_calendar.get_holiday_detail(day)
                rows.append(
                    WorkCalendarDay(date=day, is_workday=is_workday, name=_chinese_name(name))
                )
            day += dt.timedelta(days=1)
    except NotImplementedError:  # "no available data for year …"
        return None
    return rows


@transaction.atomic
def work_calendar_fill(*, actor: Actor, years: list[int]) -> dict[int, int | None]:
    """Add the library's holidays and adjusted working days for ``years``, keeping any date an
    administrator has entered already. Per year: the days added, or None where the library does
    not know the year yet (enter its dates by hand, as the State Council publishes them)."""
    added: dict[int, int | None] = {}
    for year in years:
        rows = _library_days(year)
        if rows is None:
            added[year] = None
            continue
        entered = set(
            WorkCalendarDay.objects.filter(date__year=year).values_list("date", flat=True)
        )
        new = [row for row in rows if row.date not in entered]
        for row in new:
            history_attribution_set(row, actor=actor, reason=_("from the chinese_calendar library"))
            row.save()
        added[year] = len(new)
    return added


@transaction.atomic
def work_calendar_day_save(
    *, actor: Actor, day: WorkCalendarDay, reason: str = ""
) -> WorkCalendarDay:
    """An administrator enters or corrects a date (a holiday the library does not know yet)."""
    day.full_clean()
    history_attribution_set(day, actor=actor, reason=reason or _("entered by hand"))
    day.save()
    return day


@transaction.atomic
def work_calendar_day_delete(*, actor: Actor, day: WorkCalendarDay, reason: str = "") -> None:
    history_attribution_set(day, actor=actor, reason=reason or _("removed by hand"))
    day.delete()
