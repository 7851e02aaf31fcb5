"""exports/sql.py: each function answers what a plain ORM or Python computation answers, on
whichever database the suite runs on (CI runs it on PostgreSQL and on SQLite, so both twins of
every function are checked)."""

import datetime as dt

import pytest
from django.db import connection, transaction

from archives.models import Building
from exports.sql import fetch_all, latest_history_rows, whole_table_joins
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def buildings_with_a_past():
    """Buildings created, renamed, moved and deleted: a history of each kind of entry."""
    grid, other = factories.make_grid(code="G1"), factories.make_grid(code="G2")
    buildings = [factories.make_building(grid=grid, address=f"历史路{n}号") for n in range(4)]
    buildings[0].address = "历史路甲0号"
    buildings[0].save()
    buildings[1].grid = other
    buildings[1].save()
    buildings[0].address = "历史路乙0号"
    buildings[0].save()
    buildings[2].delete()
    return buildings


def _latest_in_python(before: dt.datetime) -> set[tuple]:
    newest = {}
    for entry in Building.history.filter(history_date__lt=before):
        key = (entry.history_date, entry.history_id)
        if entry.id not in newest or key > newest[entry.id][0]:
            newest[entry.id] = (key, entry)
    return {
        (e.id, e.history_id, e.grid_id, e.address)
        for _key, e in newest.values()
        if e.history_type != "-"
    }


def test_latest_history_rows_are_each_objects_newest_entry_before_the_moment(
    buildings_with_a_past,
):
    moments = sorted(set(Building.history.values_list("history_date", flat=True)))
    moments.append(moments[-1] + dt.timedelta(seconds=1))
    sql = latest_history_rows(Building, ["grid_id", "address"])
    for moment in moments:
        params = {"next": connection.ops.adapt_datetimefield_value(moment)}
        assert set(fetch_all(sql, params)) == _latest_in_python(moment)


def test_fetch_all_reads_the_rows_of_a_query_with_named_parameters(buildings_with_a_past):
    grid_id = buildings_with_a_past[3].grid_id
    rows = fetch_all(
        "SELECT id, address FROM archives_building WHERE grid_id = %(grid)s ORDER BY id",
        {"grid": grid_id},
    )
    assert rows == list(
        Building.objects.filter(grid_id=grid_id).order_by("id").values_list("id", "address")
    )


def test_whole_table_joins_change_the_plan_not_the_answer(buildings_with_a_past):
    after = max(Building.history.values_list("history_date", flat=True)) + dt.timedelta(seconds=1)
    sql = latest_history_rows(Building, ["grid_id", "address"])
    params = {"next": connection.ops.adapt_datetimefield_value(after)}
    plain = set(fetch_all(sql, params))
    with transaction.atomic():
        whole_table_joins()
        if connection.vendor == "postgresql":
            assert fetch_all("SELECT current_setting('enable_nestloop')", {}) == [("off",)]
        assert set(fetch_all(sql, params)) == plain == _latest_in_python(after)
