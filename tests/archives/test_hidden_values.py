"""Hidden values stay hidden: a list answers only the questions it offers, never about a field
the user may not read; every full value that leaves in a file is logged; a department serving
the whole city sees its residents everywhere."""

import pytest

from archives import scope
from archives.models import Grid, Resident, SensitiveAccess
from tests import factories
from tests.archives.test_export import export

pytestmark = pytest.mark.django_db

RESIDENTS = "/admin/archives/resident/"


def test_an_official_cannot_look_up_an_id_number_a_birth_date_or_a_medical_history(client, city):
    client.force_login(city.users["official"])
    resident = city.residents["GA1a"]
    for query in (
        f"?id_number={resident.id_number}",
        f"?id={resident.pk}&birth_date__lte=1960-01-01",
        "?medical_history__icontains=病史",
        f"?household__residents__id_number={resident.id_number}",
    ):
        for page in ("", "export/"):
            response = client.get(f"{RESIDENTS}{page}{query}")
            assert response.status_code == 400, (page, query)
            assert resident.name not in response.content.decode()


def test_the_refusal_says_why_in_the_users_language(client, city):
    client.force_login(city.users["official"])
    page = client.get(f"{RESIDENTS}?phone=1").content.decode()
    assert "不能按“phone”筛选" in page


def test_the_declared_filters_still_work(client, city):
    client.force_login(city.users["official"])
    page = client.get(
        f"{RESIDENTS}?grid={city.grids['GA1b'].pk}&residency_status__exact=registered"
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert city.residents["GA1b"].name in content and city.residents["GA1a"].name not in content


def test_sorting_by_birth_date_is_for_those_who_read_it(client, city):
    birth_date_column = "3"  # name, ID number, sex, birth date
    client.force_login(city.users["official"])
    assert client.get(f"{RESIDENTS}?o={birth_date_column}").status_code == 400
    assert client.get(f"{RESIDENTS}?o=-{birth_date_column}.0").status_code == 400
    assert f"o={birth_date_column}" not in client.get(RESIDENTS).content.decode()
    client.force_login(city.users["clerk"])
    assert client.get(f"{RESIDENTS}?o={birth_date_column}").status_code == 200


def test_a_masked_user_searching_a_whole_id_number_learns_nothing(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["official"])  # sees the resident, masked
    assert resident.name not in client.get(f"{RESIDENTS}?q={resident.id_number}").content.decode()
    client.force_login(city.users["clerk"])
    assert resident.name in client.get(f"{RESIDENTS}?q={resident.id_number}").content.decode()


def test_an_export_with_full_values_writes_one_sensitive_read(client, city):
    client.force_login(city.users["clerk"])
    export(client, "resident", "csv", "?residency_status__exact=registered")
    entry = SensitiveAccess.objects.get(view=SensitiveAccess.View.EXPORT)
    assert entry.user == city.users["clerk"]
    assert entry.resident_id is None
    assert entry.rows == 1
    assert entry.filters == "residency_status__exact=registered"
    assert entry.file_format == "csv"
    assert set(entry.fields.split(",")) == {"id_number", "birth_date", "medical_history"}


def test_a_masked_export_writes_no_sensitive_read(client, city):
    client.force_login(city.users["official"])
    export(client, "resident", "xlsx")
    assert not SensitiveAccess.objects.filter(view=SensitiveAccess.View.EXPORT).exists()


def test_a_department_serving_the_whole_city_sees_its_tagged_residents_everywhere(city):
    # Civil affairs serves the elderly living alone everywhere: no streets listed.
    staff = factories.make_user("civil-staff", role="department staff")
    factories.grant(staff, city.civil_affairs)
    seen = set(scope.restrict(Resident.objects.all(), staff).values_list("name", flat=True))
    assert seen == {city.residents[code].name for code in ("GA1a", "GA1b")}
    grids = set(scope.restrict(Grid.objects.all(), staff).values_list("code", flat=True))
    assert grids == {"GA1a", "GA1b", "GA2a", "GB1a"}
