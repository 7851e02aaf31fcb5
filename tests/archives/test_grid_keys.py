"""The grid kept on residents and visits (``Resident.grid``, ``Visit.grid``) stays their
household's building's grid after every write that places or moves them: otherwise a moved
resident would drop out of their new grid's lists and stay in the old one's."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from archives import scope, services
from archives.demo.city import CitySize, demo_city_seed
from archives.models import Resident, Visit
from archives.selectors import grid_key_mismatches
from portal.demo import demo_roles
from tests import factories
from tests.archives.test_export import export
from tests.archives.test_import import CONFIRM, CREATION_TICKED, row, upload, xlsx

pytestmark = pytest.mark.django_db


def test_a_resident_saved_by_the_service_carries_their_households_grid(city):
    admin = get_user_model().objects.create_superuser("root", password="x")
    household = city.residents["GA2a"].household
    resident = services.resident_save(
        resident=Resident(
            household=household,
            name="新住户",
            id_number=factories.id_number_for(dt.date(1990, 1, 1), "M"),
            sex="M",
            birth_date=dt.date(1990, 1, 1),
        ),
        actor=admin,
        reason="登记",
    )
    assert resident.grid == city.grids["GA2a"]
    assert grid_key_mismatches() == []


def test_a_resident_moved_to_a_household_in_another_grid_shows_in_the_new_grids_list(city):
    resident = city.residents["GA1a"]
    resident.household = city.residents["GA1b"].household
    services.resident_save(resident=resident, actor=city.users["community"], reason="搬家")

    assert grid_key_mismatches() == []
    team_sees = scope.restrict(Resident.objects.all(), city.users["team"])  # GA1b
    clerk_sees = scope.restrict(Resident.objects.all(), city.users["clerk"])  # GA1a
    assert resident in team_sees and resident not in clerk_sees


def test_a_household_moved_to_a_building_in_another_grid_takes_its_residents_and_visits(city):
    household = city.residents["GA1a"].household
    household.building = factories.make_building(grid=city.grids["GA1b"])
    services.household_save(household=household, actor=city.users["community"], reason="更正")

    assert grid_key_mismatches() == []
    assert set(Resident.objects.filter(household=household).values_list("grid", flat=True)) == {
        city.grids["GA1b"].pk
    }
    assert Visit.objects.get(household=household).grid == city.grids["GA1b"]


def test_a_building_moved_to_another_grid_takes_its_residents_and_visits_without_history(city):
    building = city.residents["GA1a"].household.building
    history_before = Resident.history.count(), Visit.history.count()
    building.grid = city.grids["GA1b"]
    services.building_save(building=building, actor=city.users["community"], reason="划片调整")

    assert grid_key_mismatches() == []
    assert city.residents["GA1a"] in scope.restrict(Resident.objects.all(), city.users["team"])
    # Nobody changed the files: the grid follows the building, no history entry says otherwise.
    assert (Resident.history.count(), Visit.history.count()) == history_before


def test_a_logged_visit_carries_its_households_grid(city):
    visit = services.visit_save(
        visit=Visit(
            grid_member=city.users["clerk"],
            household=city.residents["GA1a"].household,
            visited_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC),
        ),
        actor=city.users["clerk"],
        reason="走访",
    )
    assert visit.grid == city.grids["GA1a"]
    assert grid_key_mismatches() == []


def test_an_import_places_new_residents_and_moved_ones_in_their_grid(client, city):
    community = city.users["community"]  # writes GA1a and GA1b
    client.force_login(community)
    rows = export(client, "resident", "xlsx")
    headers = rows[0]
    moved = next(r for r in rows[1:] if r[headers.index("网格编码")] == "GA1a")
    moved[headers.index("楼栋地址")] = "GA1a路7号"  # another building of the same grid
    response = upload(client, "搬迁.xlsx", xlsx([moved], headers))
    assert response.context["counts"] == {"new": 0, "update": 1, "unchanged": 0}
    assert client.post(CONFIRM, CREATION_TICKED).status_code == 302
    upload(client, "新户.xlsx", xlsx([row(grid="GA1b", building="GA1b路1号")]))
    assert client.post(CONFIRM, CREATION_TICKED).status_code == 302

    assert grid_key_mismatches() == []
    resident = Resident.objects.get(pk=city.residents["GA1a"].pk)
    assert resident.household.building.address == "GA1a路7号"
    assert resident.grid == city.grids["GA1a"]
    assert Resident.objects.get(name="新居民").grid == city.grids["GA1b"]


def test_a_bulk_update_moving_residents_to_another_grid_moves_their_grid(city):
    resident = Resident.objects.get(pk=city.residents["GA1a"].pk)
    resident.household_id = city.residents["GA1b"].household_id
    services.residents_bulk_update(
        residents=[resident],
        tag_ids=[set(resident.tags.values_list("pk", flat=True))],
        actor=city.users["community"],
        reason="批量迁移",
        fields=["household"],
    )
    assert grid_key_mismatches() == []
    assert Resident.objects.get(pk=resident.pk).grid == city.grids["GA1b"]


def test_the_demo_city_is_seeded_with_every_grid_kept():
    # With its months of past: arrivals, changes and visits written day by day.
    size = CitySize(residents=300, grids=3, streets=1)
    demo_city_seed(seed=7, size=size, roles=demo_roles(), today=dt.date(2026, 11, 26))
    assert Resident.objects.exists() and Visit.objects.exists()
    assert grid_key_mismatches() == []


def test_a_stale_grid_is_reported(city):
    """The check itself: a row written past the services is found."""
    resident = city.residents["GA1a"]
    Resident.objects.filter(pk=resident.pk).update(grid=city.grids["GB1a"])  # history: test
    assert grid_key_mismatches() == [("resident", resident.pk)]
