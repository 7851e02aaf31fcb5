"""The building form takes the building's position, typed or filled by "use my location" when
standing at its door, and saves it through the service, with history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from archives import history
from archives.models import Building
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def building(two_grids):
    return factories.make_building(grid=two_grids["grid"], address="延吉路1号")


def _post(client, building, **location):
    return client.post(
        reverse("admin:archives_building_change", args=[building.pk]),
        {
            "grid": building.grid_id,
            "address": building.address,
            "units": building.units,
            "floors": building.floors,
            "latitude": "",
            "longitude": "",
            "change_reason": "",
            **location,
        },
    )


def test_the_building_form_offers_the_location_button(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    page = client.get(reverse("admin:archives_building_change", args=[building.pk]))
    html = page.content.decode()
    assert "使用我的位置" in html and 'class="button use-location"' in html
    assert 'data-longitude="id_longitude"' in html
    assert "archives/visit_location.js" in html and "<script>" not in html
    assert "纬度" in html and "经度" in html


def test_a_grid_member_saves_a_buildings_position_with_history(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    response = _post(client, building, latitude="42.904823", longitude="129.513312")
    assert response.status_code == 302, response.context["adminform"].form.errors
    building.refresh_from_db()
    assert (building.latitude, building.longitude) == (Decimal("42.904823"), Decimal("129.513312"))
    entry = building.history.latest()
    assert entry.latitude == Decimal("42.904823") and entry.history_user == two_grids["clerk"]


def test_half_a_position_is_refused_at_the_empty_field(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    response = _post(client, building, latitude="42.904823")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["longitude"] == ["纬度和经度须同时填写或同时留空。"]
    assert Building.objects.get(pk=building.pk).latitude is None


def test_a_latitude_out_of_range_is_refused(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    response = _post(client, building, latitude="129.513312", longitude="42.904823")
    assert response.status_code == 200
    assert "latitude" in response.context["adminform"].form.errors
    assert Building.objects.get(pk=building.pk).latitude is None


def test_a_position_change_reads_in_the_buildings_history(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    _post(client, building, latitude="42.904823", longitude="129.513312")
    entry = history.row_history(building, two_grids["clerk"])[0]
    assert [(c.label, c.new) for c in entry.changes] == [
        ("纬度", "42.904823"),
        ("经度", "129.513312"),
    ]
