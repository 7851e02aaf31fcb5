"""Scope as each role meets it in the admin: masked values, search, forms and grant pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import formats, timezone

from archives import scope, services
from archives.models import Building, Grid, Resident
from tests import factories

pytestmark = pytest.mark.django_db

RESIDENTS = "/admin/archives/resident/"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_clerk_reads_full_id_numbers_and_medical_history_in_their_grid(client, city):
    client.force_login(city.users["clerk"])
    resident = city.residents["GA1a"]
    assert resident.id_number in page(client, RESIDENTS)
    form = page(client, f"{RESIDENTS}{resident.pk}/change/")
    assert f'value="{resident.id_number}"' in form
    assert resident.medical_history in form


def test_an_official_sees_the_whole_city_masked_and_without_medical_history(client, city):
    client.force_login(city.users["official"])
    listing = page(client, RESIDENTS)
    for resident in city.residents.values():
        assert resident.name in listing
        assert resident.id_number not in listing
        assert scope.mask_id_number(resident.id_number) in listing
    resident = city.residents["GB1a"]
    form = page(client, f"{RESIDENTS}{resident.pk}/change/")
    assert scope.mask_id_number(resident.id_number) in form
    assert formats.date_format(resident.birth_date) not in form  # it would unmask the ID
    assert f"{resident.age_on(timezone.localdate())}岁" in form
    assert resident.id_number not in form
    assert resident.medical_history not in form


def test_health_staff_read_medical_history_of_served_residents_but_not_id_numbers(client, city):
    client.force_login(city.users["department"])
    listing = page(client, RESIDENTS)
    served = city.residents["GA2a"]
    assert served.name in listing
    assert city.residents["GB1a"].name not in listing  # chronic illness, outside health's area
    assert city.residents["GA1a"].name not in listing  # in the area, a tag health does not serve
    response = client.get(f"{RESIDENTS}{served.pk}/change/")
    form = response.content.decode()
    assert served.medical_history in form
    assert served.id_number not in form
    assert not response.context["has_change_permission"]  # read-only
    assert 'name="name"' not in form


def test_a_full_id_number_finds_a_resident_only_for_those_who_may_read_it(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    found = client.get(RESIDENTS, {"q": resident.id_number}).context["cl"].result_list
    assert list(found) == [resident]
    client.force_login(city.users["official"])
    found = client.get(RESIDENTS, {"q": resident.id_number}).context["cl"].result_list
    assert list(found) == []  # a search must not confirm whose number it is


def test_a_clerks_form_offers_only_their_own_grids_households(client, city):
    client.force_login(city.users["clerk"])
    response = client.get(f"{RESIDENTS}add/")
    choices = response.context["adminform"].form.fields["household"].queryset
    assert {h.building.grid.code for h in choices} == {"GA1a"}
    response = client.get("/admin/archives/building/add/")
    assert list(response.context["adminform"].form.fields["grid"].queryset) == [city.grids["GA1a"]]


def test_moving_a_resident_out_of_scope_is_refused_and_changes_nothing(city):
    clerk = city.users["clerk"]
    resident = Resident.objects.get(pk=city.residents["GA1a"].pk)
    resident.household = city.residents["GB1a"].household
    with pytest.raises(PermissionDenied):
        services.resident_save(resident=resident, actor=clerk)
    resident.refresh_from_db()
    assert resident.household == city.residents["GA1a"].household


def test_a_read_only_role_cannot_save_through_the_service(city):
    building = Building.objects.get(grid=city.grids["GA2a"])
    building.address = "改名"
    with pytest.raises(PermissionDenied):
        services.building_save(building=building, actor=city.users["department"])
    assert Building.objects.filter(address="改名").count() == 0


def test_a_clerk_cannot_create_a_building_in_another_grid_by_a_forged_post(client, city):
    client.force_login(city.users["clerk"])
    response = client.post(
        "/admin/archives/building/add/",
        {"grid": city.grids["GB1a"].pk, "address": "伪造路1号", "units": 1, "floors": 1},
    )
    assert response.status_code == 200
    assert "grid" in response.context["adminform"].form.errors
    assert not Building.objects.filter(address="伪造路1号").exists()


def test_only_administrators_open_the_grant_pages(client, admin_client, city):
    street = city.streets["SA"]
    url = reverse("admin:archives_street_permissions", args=[street.pk])
    listing = admin_client.get(url).content.decode()
    assert 'href="user-manage/' in listing  # lists who holds a grant on it
    client.force_login(city.users["street"])  # (the same client, now as the street official)
    assert client.get(url).status_code == 302  # back to the index


def test_the_grant_page_offers_only_the_units_own_grant(admin_client, city):
    grid = city.grids["GA1a"]
    url = reverse(
        "admin:archives_grid_permissions_manage_user", args=[grid.pk, city.users["nobody"].pk]
    )
    field = admin_client.get(url).context["form"].fields["permissions"]
    assert [codename for codename, _label in field.choices] == ["access_grid"]


def test_a_units_page_shows_administrators_who_can_see_it(admin_client, client, city):
    url = reverse("admin:archives_grid_change", args=[city.grids["GA1b"].pk])
    listing = admin_client.get(url).content.decode()
    assert "GA1b team" in listing
    assert "community" in listing and "official" in listing
    client.force_login(city.users["community"])
    assert "GA1b team" not in page(client, url)  # grant holders are an administrator's business


def test_the_street_filter_offers_only_streets_in_scope(client, city):
    client.force_login(city.users["street"])
    listing = page(client, RESIDENTS)
    assert "SA街道" in listing
    assert "SB街道" not in listing


def test_a_new_grid_under_a_granted_street_is_writable_at_once(client, city):
    community = city.communities["CA2"]
    grid = Grid.objects.create(code="GA2b", name="GA2b网格", community=community)
    household = factories.make_household(grid=grid)
    client.force_login(city.users["street"])
    response = client.get(f"{RESIDENTS}add/")
    assert household in response.context["adminform"].form.fields["household"].queryset
