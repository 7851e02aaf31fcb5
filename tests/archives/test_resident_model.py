import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from archives.models import Resident
from archives.validators import FEMALE, MALE
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_valid_resident_passes_full_validation():
    factories.make_resident().full_clean()


def test_birth_date_must_match_the_id_number():
    resident = factories.make_resident(birth_date=dt.date(1956, 3, 14))
    resident.birth_date = dt.date(1956, 3, 15)
    with pytest.raises(ValidationError) as caught:
        resident.full_clean()
    assert "1956-03-14" in caught.value.message_dict["birth_date"][0]


def test_sex_must_match_the_id_number():
    resident = factories.make_resident(sex=FEMALE)
    resident.sex = MALE
    with pytest.raises(ValidationError) as caught:
        resident.full_clean()
    assert "sex" in caught.value.message_dict


def test_the_database_refuses_a_second_active_resident_with_the_same_id_number():
    first = factories.make_resident()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_resident(id_number=first.id_number)
    assert Resident.objects.filter(id_number=first.id_number).count() == 1


def test_a_person_who_moved_out_may_be_registered_again():
    first = factories.make_resident(residency_status=Resident.ResidencyStatus.MOVED_OUT)
    again = factories.make_resident(id_number=first.id_number)
    assert again.is_active and not first.is_active


def test_validation_reports_a_duplicate_active_id_number_in_words():
    first = factories.make_resident()
    duplicate = Resident(
        household=first.household,
        name="重复",
        id_number=first.id_number,
        sex=first.sex,
        birth_date=first.birth_date,
    )
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "already exists" in str(caught.value) or "已存在" in str(caught.value)


def test_a_lowercase_check_letter_is_stored_uppercase():
    resident = factories.make_resident(
        id_number="11010519491231002x", birth_date=dt.date(1949, 12, 31), sex=FEMALE
    )
    resident.refresh_from_db()
    assert resident.id_number == "11010519491231002X"


def test_a_household_cannot_be_on_a_floor_its_building_does_not_have():
    household = factories.make_household()
    household.floor = household.building.floors + 1
    with pytest.raises(ValidationError) as caught:
        household.full_clean()
    assert "floor" in caught.value.message_dict
