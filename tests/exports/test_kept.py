"""A month that is over keeps the figures its history decides (``exports.kept``): the report
reads them instead of the history, gives the same figures, and still reads the rest (audits,
members, ...) as they are now. The running month is never kept."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives.models import Building, Grid, Household, Resident, Street, Tag, Visit
from exports.figures import figures_as_json
from exports.kept import kept_counts_forget
from exports.models import KeptMonthCounts
from exports.selectors import month_figures
from exports.sql import history_table
from exports.tasks import keep_last_month
from tests.exports.month_city import OCTOBER, ZONE, build_month_city

DECEMBER = dt.datetime(2026, 12, 3, 9, tzinfo=ZONE)
HISTORY_TABLES = [history_table(m) for m in (Resident, Household, Building, Grid, Visit)]


def _reads_history(queries: CaptureQueriesContext) -> bool:
    return any(table in query["sql"] for query in queries for table in HISTORY_TABLES)


def _same(first, second) -> bool:
    one, other = figures_as_json(first), figures_as_json(second)
    del one["generated_at"], other["generated_at"]
    return one == other


@pytest.fixture
def city(db):
    return build_month_city()


def test_a_kept_month_gives_the_figures_of_a_fresh_computation_without_reading_history(city):
    with time_machine.travel(DECEMBER, tick=False):
        computed = month_figures(OCTOBER)
        assert KeptMonthCounts.objects.filter(month=OCTOBER).count() == 1
        with CaptureQueriesContext(connection) as queries:
            kept = month_figures(OCTOBER)
        street = Street.objects.get(code="S1")
        kept_street = month_figures(OCTOBER, street=street)
        kept_counts_forget()
        computed_street = month_figures(OCTOBER, street=street)
    assert not _reads_history(queries)
    assert _same(kept, computed)
    assert _same(kept_street, computed_street)
    assert kept.total.residents == computed.total.residents > 0


def test_the_running_month_and_a_month_just_over_are_never_kept(city):
    with time_machine.travel(dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=ZONE), tick=False):
        month_figures(OCTOBER)
    with time_machine.travel(dt.datetime(2026, 11, 1, 0, 30, tzinfo=ZONE), tick=False):
        month_figures(OCTOBER)
        with CaptureQueriesContext(connection) as queries:
            month_figures(OCTOBER)
    assert not KeptMonthCounts.objects.exists()
    assert _reads_history(queries)


def test_a_tag_asking_for_other_visits_is_counted_in_a_kept_month(city):
    with time_machine.travel(DECEMBER, tick=False):
        before = month_figures(OCTOBER)
        # 丁 (G2) was visited once in October: covered once the tag asks for one visit.
        Tag.objects.filter(code="elderly-alone").update(needs_visits_per_month=1)
        after = month_figures(OCTOBER)
        kept_counts_forget()
        computed = month_figures(OCTOBER)
    g2_before, g2_after = (
        next(row for row in figures.grids if row.code == "G2") for figures in (before, after)
    )
    assert (g2_before.counts.households_covered, g2_after.counts.households_covered) == (0, 1)
    assert _same(after, computed)
    assert KeptMonthCounts.objects.filter(month=OCTOBER).count() == 1


def test_what_changes_after_month_end_is_still_read_in_a_kept_month(city):
    with time_machine.travel(DECEMBER, tick=False):
        month_figures(OCTOBER)
        clerk = city.clerks["G1"]
        clerk.last_name, clerk.first_name = "陈", "新"
        clerk.save()
        kept = month_figures(OCTOBER)
    g1 = next(row for row in kept.grids if row.code == "G1")
    assert g1.members == ["陈新"]


def test_the_nightly_task_keeps_last_month(city):
    with time_machine.travel(dt.datetime(2026, 11, 1, 1, 0, tzinfo=ZONE), tick=False):
        keep_last_month()
    assert not KeptMonthCounts.objects.exists()
    with time_machine.travel(dt.datetime(2026, 11, 1, 3, 0, tzinfo=ZONE), tick=False):
        keep_last_month()
        with CaptureQueriesContext(connection) as queries:
            month_figures(OCTOBER)
    assert KeptMonthCounts.objects.filter(month=OCTOBER).count() == 1
    assert not _reads_history(queries)
