"""The scope module: who may see or touch which rows, asked as a queryset and as has_perm."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from guardian.shortcuts import assign_perm

from archives import scope
from archives.models import Building, Community, Grid, Household, Resident, Street, Visit
from tests import factories, scoped_city

pytestmark = pytest.mark.django_db

ARCHIVE_MODELS = [Building, Household, Resident, Visit]


def grid_codes(queryset) -> set[str]:
    model = queryset.model
    if model is Grid:
        return set(queryset.values_list("code", flat=True))
    path = scope.GRID_PATHS[model]
    return set(queryset.values_list(f"{path}__code", flat=True))


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
@pytest.mark.parametrize("model", ARCHIVE_MODELS, ids=lambda m: m.__name__)
def test_each_account_sees_exactly_the_rows_its_grants_cover(city, username, model):
    user = city.users[username]
    visible = scope.restrict(model.objects.all(), user)
    assert grid_codes(visible) == scoped_city.archive_grids_seen(username, model._meta.model_name)


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
def test_each_account_sees_the_org_units_above_what_it_covers(city, username):
    user = city.users[username]
    expected = scoped_city.grids_seen(username)
    assert grid_codes(scope.restrict(Grid.objects.all(), user)) == expected
    communities = set(scope.restrict(Community.objects.all(), user).values_list("code", flat=True))
    assert communities == {f"C{code[1:3]}" for code in expected}
    streets = set(scope.restrict(Street.objects.all(), user).values_list("code", flat=True))
    assert streets == {f"S{code[1]}" for code in expected}


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
def test_only_writers_may_change_and_only_in_their_grants(city, username):
    user = city.users[username]
    changeable = scope.restrict(Resident.objects.all(), user, scope.CHANGE)
    assert grid_codes(changeable) == scoped_city.grids_written(username)
    assert not scope.restrict(Resident.objects.all(), user, scope.DELETE).exists()


def test_a_street_grant_covers_a_community_and_grid_added_later(city):
    community = Community.objects.create(code="CA3", name="新社区", street=city.streets["SA"])
    grid = Grid.objects.create(code="GA3a", name="新网格", community=community)
    resident = factories.make_resident(grid=grid, name="新居民")
    assert city.users["street"].has_perm("archives.change_resident", resident)
    assert not city.users["community"].has_perm("archives.view_resident", resident)


def test_a_model_level_permission_never_widens_scope(city):
    # A role's view_resident is "what", never "where": without a grant it shows nothing.
    nobody = city.users["nobody"]
    assert nobody.has_perm("archives.view_resident")
    assert not scope.restrict(Resident.objects.all(), nobody).exists()
    # Not even a model-level grant permission (access_street) held outside guardian.
    nobody.user_permissions.add(Permission.objects.get(codename="access_street"))
    nobody = type(nobody).objects.get(pk=nobody.pk)
    assert not scope.restrict(Resident.objects.all(), nobody).exists()


def test_a_permission_stored_on_one_resident_is_ignored(city):
    # Scope never resolves per resident; a stray guardian row must not open anything.
    nobody = city.users["nobody"]
    resident = city.residents["GB1a"]
    assign_perm("archives.change_resident", nobody, resident)
    assert not nobody.has_perm("archives.change_resident", resident)
    assert not scope.restrict(Resident.objects.all(), nobody).exists()


def test_has_perm_answers_for_objects_through_the_backend(city):
    clerk = city.users["clerk"]
    own, other = city.residents["GA1a"], city.residents["GA1b"]
    assert clerk.has_perm("archives.change_resident", own)
    assert clerk.has_perm("archives.view_resident_id_number", own)
    assert not clerk.has_perm("archives.view_resident", other)
    assert not clerk.has_perm("archives.delete_resident", own)
    department = city.users["department"]
    served = city.residents["GA2a"]
    assert department.has_perm("archives.view_resident", served)
    assert not department.has_perm("archives.change_resident", served)
    assert department.has_perm("archives.view_resident_medical_history", served)
    assert not department.has_perm("archives.view_resident_id_number", served)


def test_an_inactive_user_sees_nothing(city):
    street = city.users["street"]
    street.is_active = False
    assert not scope.restrict(Resident.objects.all(), street).exists()
    assert not street.has_perm("archives.view_resident", city.residents["GA1a"])


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
def test_sensitive_fields_show_only_where_granted(city, username):
    user = city.users[username]
    rows = scope.with_sensitive_flags(scope.restrict(Resident.objects.all(), user), user)
    for resident in rows.select_related("household__building__grid"):
        assert resident.shows_id_number == scoped_city.reads_id_number(username, resident)
        assert resident.shows_medical_history == scoped_city.reads_medical_history(
            username, resident
        )


def test_a_masked_id_number_keeps_the_region_and_the_last_four():
    assert scope.mask_id_number("222405195603140027") == "222405********0027"


def test_a_clerk_may_place_rows_only_in_their_own_grids(city):
    clerk = city.users["clerk"]
    resident = city.residents["GA1a"]
    assert scope.may_place(clerk, scope.CHANGE, resident)
    resident.household = city.residents["GA1b"].household  # moving it out, in memory
    assert not scope.may_place(clerk, scope.CHANGE, resident)
    building = Building(grid=city.grids["GB1a"], address="新楼")
    assert not scope.may_place(clerk, scope.ADD, building)
    assert not scope.may_place(city.users["official"], scope.ADD, Building(grid=city.grids["GA1a"]))


def test_the_scope_filter_costs_the_same_queries_for_one_grid_or_a_whole_street(city):
    # Subqueries, not IDs loaded into Python: the query count does not depend on the grants.
    def queries_for(username: str) -> int:
        user = type(city.users[username]).objects.get(username=username)
        with CaptureQueriesContext(connection) as queries:
            list(scope.restrict(Resident.objects.all(), user))
        return len(queries)

    for code in ("GA2a", "GB1a"):
        factories.grant(city.users["clerk"], city.grids[code])
    assert queries_for("clerk") == queries_for("street") == queries_for("community")


def test_who_can_see_a_grid_lists_grants_from_every_level_above_it(city):
    with translation.override("en"):
        rows = dict(scope.who_can_see(city.grids["GA1b"]))
    assert {"community", "street", "official"} <= set(rows)
    assert "group GA1b team" in rows
    assert "clerk" not in rows and "auditor" not in rows
    assert "staff of 卫健局" in rows  # serves street SA, read-only for its tags
    assert "staff of 民政局" in rows  # serves the whole city
