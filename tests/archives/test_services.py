"""The services check scope themselves, whoever calls them: bulk writes (imports, seeding) ask
of every row what a single save asks, org units are saved as their admin pages allow, and a
resident is deleted only by an administrator."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from accounts.system import system_actor
from archives import services
from archives.models import Building, Household, Resident, Street, Visit
from archives.places import Place
from tests import factories

pytestmark = pytest.mark.django_db


def _new_resident(household: Household) -> Resident:
    return Resident(
        household=household,
        name="新居民",
        id_number=factories.id_number_for(dt.date(1980, 1, 2), "M"),
        sex="M",
        birth_date=dt.date(1980, 1, 2),
    )


def test_a_bulk_insert_refuses_a_building_in_a_grid_the_clerk_has_no_grant_on(two_grids):
    clerk, other_grid = two_grids["clerk"], two_grids["other_grid"]
    rows = [
        Building(grid=two_grids["grid"], address="新华路1号"),
        Building(grid=other_grid, address="新华路2号"),
    ]
    with pytest.raises(PermissionDenied):
        services.rows_bulk_create(rows=rows, actor=clerk, reason="import")
    assert not Building.objects.filter(address__startswith="新华路").exists()


def test_a_bulk_insert_refuses_a_visit_to_a_household_outside_the_clerks_grids(two_grids):
    clerk = two_grids["clerk"]
    visit = Visit(
        grid_member=clerk,
        household=two_grids["other_resident"].household,
        visited_at=dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC),
    )
    with pytest.raises(PermissionDenied):
        services.rows_bulk_create(rows=[visit], actor=clerk, reason="import")
    assert not Visit.objects.exists()


def test_a_bulk_insert_of_residents_refuses_a_household_outside_the_clerks_grids(two_grids):
    clerk = two_grids["clerk"]
    outside = _new_resident(two_grids["other_resident"].household)
    with pytest.raises(PermissionDenied):
        services.residents_bulk_create(
            residents=[outside], tag_ids=[set()], actor=clerk, reason="import"
        )
    assert not Resident.objects.filter(name="新居民").exists()


def test_a_bulk_insert_by_the_clerk_in_their_own_grid_is_written(two_grids):
    clerk = two_grids["clerk"]
    [resident] = services.residents_bulk_create(
        residents=[_new_resident(two_grids["resident"].household)],
        tag_ids=[set()],
        actor=clerk,
        reason="import",
    )
    assert resident.history.get().history_user == clerk


def test_a_bulk_update_refuses_a_resident_the_clerk_may_not_change(two_grids):
    clerk, other = two_grids["clerk"], two_grids["other_resident"]
    other.phone = "13900009999"
    with pytest.raises(PermissionDenied):
        services.residents_bulk_update(
            residents=[other], tag_ids=[set()], actor=clerk, reason="import"
        )
    other.refresh_from_db()
    assert other.phone == "13800001111" and other.history.count() == 1


def test_a_bulk_update_refuses_moving_a_resident_into_a_grid_outside_the_clerks_grants(
    two_grids,
):
    clerk, resident = two_grids["clerk"], two_grids["resident"]
    home = resident.household_id
    resident.household = two_grids["other_resident"].household
    with pytest.raises(PermissionDenied):
        services.residents_bulk_update(
            residents=[resident], tag_ids=[set()], actor=clerk, reason="import"
        )
    resident.refresh_from_db()
    assert resident.household_id == home


def test_households_ensure_creates_no_building_outside_the_actors_grids(two_grids):
    clerk, other_grid = two_grids["clerk"], two_grids["other_grid"]
    with pytest.raises(PermissionDenied):
        services.households_ensure(
            places={Place(other_grid.pk, "光明街9号", 1, 1, "101")}, actor=clerk, reason="import"
        )
    assert not Building.objects.filter(address="光明街9号").exists()


def test_households_ensure_creates_the_building_and_household_in_the_actors_grid(two_grids):
    clerk, grid = two_grids["clerk"], two_grids["grid"]
    place = Place(grid.pk, "光明街9号", 2, 3, "301")
    ids = services.households_ensure(places={place}, actor=clerk, reason="import")
    household = Household.objects.select_related("building").get(pk=ids[place])
    assert (household.building.units, household.building.floors) == (2, 3)
    assert household.history.get().history_user == clerk


def test_the_system_account_writes_in_bulk_in_any_grid(two_grids):
    # What seeding the demo city and the benchmark act as.
    [building] = services.rows_bulk_create(
        rows=[Building(grid=two_grids["other_grid"], address="新华路3号")],
        actor=system_actor(),
        reason="seed_demo",
    )
    assert building.history.get().history_user.username == "system"


def test_a_street_is_changed_only_by_someone_whose_grants_let_them_change_it(two_grids):
    street = two_grids["grid"].community.street
    street.name = "新名字"
    with pytest.raises(PermissionDenied):
        services.street_save(street=street, actor=two_grids["clerk"], reason="renamed")
    street.refresh_from_db()
    assert street.name != "新名字"


def test_a_new_street_needs_the_roles_add_permission(two_grids):
    with pytest.raises(PermissionDenied):
        services.street_save(street=Street(code="S9", name="新街道"), actor=two_grids["clerk"])
    assert not Street.objects.filter(code="S9").exists()


def test_an_administrator_saves_a_grid_with_its_members_and_the_reason(two_grids, admin_user):
    grid, clerk = two_grids["other_grid"], two_grids["clerk"]
    grid.name = "新网格"
    services.grid_save(grid=grid, actor=admin_user, reason="renamed", members=[clerk])
    assert list(grid.members.all()) == [clerk]
    entry = grid.history.latest()
    assert (entry.name, entry.history_user, entry.history_change_reason) == (
        "新网格",
        admin_user,
        "renamed",
    )


def test_only_an_administrator_deletes_a_resident_and_the_history_keeps_the_file(
    two_grids, admin_user
):
    resident = two_grids["resident"]
    with pytest.raises(PermissionDenied):
        services.resident_delete(resident=resident, actor=two_grids["clerk"])
    pk = resident.pk
    services.resident_delete(resident=resident, actor=admin_user)
    assert not Resident.objects.filter(pk=pk).exists()
    deleted = Resident.history.model.objects.get(id=pk, history_type="-")
    assert deleted.history_user == admin_user
