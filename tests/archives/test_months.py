"""Month arithmetic: every monthly figure (dashboard, audits, report) counts the same months."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from archives import months

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_last_months_counts_back_over_the_new_year():
    assert months.last_months(dt.date(2026, 2, 14), 3) == [
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


def test_last_months_of_one_is_the_current_month():
    assert months.last_months(dt.date(2026, 7, 31), 1) == [dt.date(2026, 7, 1)]


def test_previous_and_next_month_cross_the_year():
    assert months.previous_month(dt.date(2026, 1, 31)) == dt.date(2025, 12, 1)
    assert months.next_month(dt.date(2025, 12, 31)) == dt.date(2026, 1, 1)
    assert months.next_month(dt.date(2026, 1, 31)) == dt.date(2026, 2, 1)


def test_months_back_of_zero_is_the_months_first_day():
    assert months.months_back(dt.date(2026, 3, 15), 0) == dt.date(2026, 3, 1)
    assert months.months_back(dt.date(2026, 3, 15), 14) == dt.date(2025, 1, 1)


def test_last_month_in_january_is_last_years_december():
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: the local date decides.
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert months.last_month() == dt.date(2026, 12, 1)


def test_last_month_of_a_given_day():
    assert months.last_month(dt.date(2026, 12, 1)) == dt.date(2026, 11, 1)


def test_a_month_has_ended_only_once_the_next_has_begun():
    assert months.has_ended(dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    assert not months.has_ended(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert not months.has_ended(dt.date(2027, 1, 1), dt.date(2026, 12, 31))
    assert months.has_ended(dt.date(2026, 12, 15), dt.date(2027, 1, 1))


def test_has_ended_reads_todays_local_date_by_default():
    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert months.has_ended(dt.date(2026, 11, 1))
        assert not months.has_ended(dt.date(2026, 12, 1))


def test_month_bounds_are_local_midnights_across_the_new_year():
    start, following = months.month_bounds(dt.date(2026, 12, 25))
    assert start == dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert following == dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)


def test_a_month_written_is_read_back():
    for month in (dt.date(2026, 1, 1), dt.date(2026, 10, 31), dt.date(2027, 12, 5)):
        assert months.parse_month(months.month_text(month)) == months.first_day(month)


def test_a_month_written_year_dash_month_is_read():
    assert months.parse_month("2026-10") == dt.date(2026, 10, 1)
    assert months.parse_month("2027-01") == dt.date(2027, 1, 1)


@pytest.mark.parametrize("text", [None, "", "October", "2026-13", "2026/10", "2026-10-05", "26-1x"])
def test_anything_else_is_no_month(text):
    assert months.parse_month(text) is None
