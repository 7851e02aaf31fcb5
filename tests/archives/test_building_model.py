"""A building's position: latitude and longitude within their ranges, both or neither, checked
by the model's validation and by the database's constraints alike."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from archives.models import Building
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def building():
    return factories.make_building(grid=factories.make_grid(code="G1"), address="延吉路1号")


def test_a_building_without_a_position_is_valid(building):
    building.full_clean()
    assert building.latitude is None and building.longitude is None


def test_a_building_with_both_coordinates_is_valid(building):
    building.latitude, building.longitude = Decimal("42.904823"), Decimal("129.513312")
    building.full_clean()


@pytest.mark.parametrize(
    ("latitude", "longitude", "empty"),
    [(Decimal("42.904823"), None, "longitude"), (None, Decimal("129.513312"), "latitude")],
)
def test_half_a_position_is_refused_at_the_empty_field(building, latitude, longitude, empty):
    building.latitude, building.longitude = latitude, longitude
    with pytest.raises(ValidationError) as refused:
        building.full_clean()
    assert refused.value.message_dict == {empty: ["纬度和经度须同时填写或同时留空。"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", Decimal("90.000001")),
        ("latitude", Decimal("-90.5")),
        ("longitude", Decimal("180.000001")),
        ("longitude", Decimal("-181")),
    ],
)
def test_a_coordinate_out_of_range_is_refused_at_its_field(building, field, value):
    building.latitude, building.longitude = Decimal("42.9"), Decimal("129.5")
    setattr(building, field, value)
    with pytest.raises(ValidationError) as refused:
        building.full_clean()
    assert list(refused.value.message_dict) == [field]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (Decimal("91"), Decimal("129.5")),
        (Decimal("42.9"), Decimal("-180.5")),
        (Decimal("42.9"), None),
        (None, Decimal("129.5")),
    ],
)
def test_the_database_refuses_what_validation_refuses(building, latitude, longitude):
    # Bulk writes (imports, the demo city) skip the model's validation: the constraints hold.
    with pytest.raises(IntegrityError), transaction.atomic():
        Building.objects.filter(pk=building.pk).update(  # history: a refused write
            latitude=latitude, longitude=longitude
        )


def test_the_extreme_coordinates_are_valid(building):
    building.latitude, building.longitude = Decimal("-90"), Decimal("180")
    building.full_clean()
    building.save()
