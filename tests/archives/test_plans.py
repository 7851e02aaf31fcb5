"""Building and grid plans: one square per household, coloured and marked, within scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives.models import Household
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def building(two_grids):
    building = factories.make_building(grid=two_grids["grid"], address="幸福路8号")
    elderly = factories.make_resident(
        household=Household.objects.create(building=building, unit=1, floor=3, room="301"),
        name="崔老",
    )
    elderly.tags.add(factories.make_tag())
    Household.objects.create(building=building, unit=2, floor=1, room="102", status="vacant")
    return building


def test_a_building_plan_draws_each_household_as_a_linked_square(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    page = client.get(f"/admin/archives/building/{building.pk}/plan/").content.decode()
    occupied = Household.objects.get(room="301")
    assert f'href="/admin/archives/household/{occupied.pk}/change/"' in page
    assert "status-occupied needs-care" in page
    assert "status-vacant" in page
    assert "独居" in page  # the tag's mark on the square
    assert "1 单元" in page and "3 层" in page


def test_a_clerk_cannot_open_the_plan_of_another_grids_building(client, two_grids):
    other = two_grids["other_resident"].household.building
    client.force_login(two_grids["clerk"])
    response = client.get(f"/admin/archives/building/{other.pk}/plan/")
    assert response.status_code == 404
    assert other.address not in response.content.decode()


def test_a_grid_plan_draws_every_building_in_the_same_queries(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    grid = two_grids["grid"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/admin/archives/grid/{grid.pk}/plan/")
        assert response.status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        more = factories.make_building(grid=grid)
        factories.make_resident(household=factories.make_household(building=more))
    assert queries() == before
    page = client.get(f"/admin/archives/grid/{grid.pk}/plan/").content.decode()
    assert "幸福路8号" in page and f"/admin/archives/building/{building.pk}/plan/" in page


def test_the_building_list_links_to_each_plan(client, two_grids, building):
    client.force_login(two_grids["clerk"])
    page = client.get("/admin/archives/building/").content.decode()
    assert f"/admin/archives/building/{building.pk}/plan/" in page
