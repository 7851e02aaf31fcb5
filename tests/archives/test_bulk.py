"""archives.bulk.rows_insert: the rows land as bulk_create would put them, IDs included (COPY
on PostgreSQL, bulk_create on SQLite)."""

import datetime as dt

import pytest

from archives import bulk
from archives.models import Resident
from tests import factories

pytestmark = pytest.mark.django_db


def test_inserted_rows_get_their_ids_and_read_back_as_written():
    household = factories.make_household()
    rows = [
        Resident(
            household=household,
            grid=household.building.grid,  # what the services fill in before a bulk insert
            name=f"批量{i}",
            id_number=factories.id_number_for(dt.date(1960 + i, 1, 2), "M"),
            sex="M",
            birth_date=dt.date(1960 + i, 1, 2),
            residency_status=Resident.ResidencyStatus.FLOATING,
            medical_history="=1+1\ttab",
        )
        for i in range(3)
    ]
    inserted = bulk.rows_insert(rows)

    assert all(row.pk for row in inserted) and len({row.pk for row in inserted}) == 3
    for row in inserted:
        stored = Resident.objects.get(pk=row.pk)
        assert (stored.name, stored.id_number, stored.birth_date) == (
            row.name,
            row.id_number,
            row.birth_date,
        )
        assert stored.residency_status == "floating"
        assert stored.medical_history == "=1+1\ttab"
        assert stored.created_at is not None and stored.version == 1
    later = Resident.objects.create(
        household=household,
        name="之后",
        id_number=factories.id_number_for(dt.date(1990, 1, 2), "F"),
        sex="F",
        birth_date=dt.date(1990, 1, 2),
    )
    assert later.pk > max(row.pk for row in inserted)  # the sequence moved past them


def test_built_rows_are_what_the_constructor_makes_and_insert_alike():
    household = factories.make_household()
    values = {
        "household_id": household.pk,
        "grid_id": household.building.grid_id,  # rows_insert is below the grid keys' filling
        "name": "批量",
        "id_number": factories.id_number_for(dt.date(1970, 5, 6), "F"),
        "sex": "F",
        "birth_date": dt.date(1970, 5, 6),
    }
    [built] = bulk.rows_built(Resident, [values])
    made = Resident(**values)

    # The fields the values leave out take their defaults, as the constructor gives them.
    for field in Resident._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(made, field.attname), field.name
    assert built._state.adding
    [inserted] = bulk.rows_insert([built])
    stored = Resident.objects.get(pk=inserted.pk)
    assert (stored.ethnicity, stored.residency_status, stored.version) == ("han", "registered", 1)


def test_building_a_row_with_an_unknown_field_is_refused():
    with pytest.raises(TypeError):
        bulk.rows_built(Resident, [{"name": "批量", "nickname": "小批"}])
