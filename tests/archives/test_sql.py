"""archives/sql.py: each function answers what a plain ORM or Python computation answers, on
whichever database the suite runs on (CI runs it on PostgreSQL and on SQLite, so both twins of
every function are checked)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from archives import sql
from archives.models import Building, Resident
from tests import factories

pytestmark = pytest.mark.django_db


def test_estimated_rows_is_the_count_after_analyse_on_postgresql_and_none_on_sqlite():
    grid = factories.make_grid()
    for n in range(3):
        factories.make_building(grid=grid, address=f"估算路{n}号")
    table = Building._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        assert sql.estimated_rows(table) == Building.objects.count()
    else:
        assert sql.estimated_rows(table) is None


def test_phone_suffix_ids_are_the_residents_whose_phone_ends_with_the_digits():
    household = factories.make_household()
    phones = ["13912345678", "13800005678", "13912340000", "15678", "13900001234"]
    for n, phone in enumerate(phones):
        factories.make_resident(
            household=household, phone=phone, birth_date=dt.date(1950 + n, 1, 2)
        )
    for digits in ["5678", "45678", "0000", "1234", "9999", "13912345678"]:
        expected = {r.pk for r in Resident.objects.all() if r.phone.endswith(digits)}
        assert set(sql.phone_suffix_ids(digits).values_list("pk", flat=True)) == expected


def test_values_among_holds_each_row_whose_field_is_one_of_the_values_once():
    household = factories.make_household()
    residents = [
        factories.make_resident(household=household, birth_date=dt.date(1950 + n, 1, 2))
        for n in range(5)
    ]
    unknown = factories.id_number_for(dt.date(1990, 1, 2), "M")
    wanted = [r.id_number for r in residents[:3]] + [unknown]
    for chunk in (1, 2, 10):
        found = [
            pk
            for rows in sql.values_among(Resident.objects.all(), "id_number", wanted, chunk=chunk)
            for pk in rows.values_list("pk", flat=True)
        ]
        assert sorted(found) == sorted(r.pk for r in residents[:3])
    assert list(sql.values_among(Resident.objects.all(), "id_number", [], chunk=2)) == []


def test_history_entries_copy_writes_each_row_as_it_stands_and_answers_its_entry():
    household = factories.make_household()
    residents = [
        factories.make_resident(
            household=household, name=f"复制{n}", birth_date=dt.date(1950 + n, 1, 2)
        )
        for n in range(4)
    ]
    Resident.objects.filter(pk=residents[0].pk).update(phone="13700000000")  # history: below
    actor = factories.make_user("copier")
    stamp = timezone.now() + dt.timedelta(minutes=1)
    pks = [r.pk for r in residents[:3]]

    entry_of = sql.history_entries_copy(
        Resident,
        pks,
        stamp=stamp,
        columns={"history_change_reason": "复制", "history_type": "~", "history_user_id": actor.pk},
    )

    entries = Resident.history.filter(history_date=stamp)
    assert entry_of == dict(entries.values_list("id", "history_id"))
    assert sorted(entry_of) == sorted(pks)
    as_stored = Resident.objects.filter(pk__in=pks).values_list("pk", "name", "phone")
    assert set(entries.values_list("id", "name", "phone")) == set(as_stored)
    assert set(entries.values_list("history_type", "history_change_reason", "history_user")) == {
        ("~", "复制", actor.pk)
    }


def test_large_writes_cache_enlarges_sqlites_page_cache_and_leaves_postgresql_alone():
    if connection.vendor != "sqlite":
        sql.large_writes_cache()  # nothing to set, nothing to fail
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        try:
            sql.large_writes_cache()
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone() == (-262144,)
        finally:
            cursor.execute(f"PRAGMA cache_size = {before}")


def test_history_entries_copy_in_chunks_answers_every_rows_entry(monkeypatch):
    """SQLite copies in chunks of its parameter limit (PostgreSQL sends one array)."""
    household = factories.make_household()
    pks = [
        factories.make_resident(household=household, birth_date=dt.date(1950 + n, 1, 2)).pk
        for n in range(7)
    ]
    monkeypatch.setattr(connection.features, "max_query_params", 4 + 3)  # 4 history columns, 3 IDs
    actor = factories.make_user("copier")
    stamp = timezone.now() + dt.timedelta(minutes=1)

    entry_of = sql.history_entries_copy(
        Resident,
        pks,
        stamp=stamp,
        columns={"history_change_reason": "", "history_type": "~", "history_user_id": actor.pk},
    )

    assert entry_of == dict(
        Resident.history.filter(history_date=stamp).values_list("id", "history_id")
    )
    assert sorted(entry_of) == sorted(pks)
