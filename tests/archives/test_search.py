"""Resident search as clerks search (archives/search.py), and lists that count once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import scope
from archives.admin import paging
from archives.models import Resident
from archives.search import resident_search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    grid = factories.make_grid(code="G1")
    building = factories.make_building(grid=grid, address="幸福路12号")
    other_building = factories.make_building(grid=grid, address="光明街3号")
    make = factories.make_resident
    return {
        "jin": make(household=factories.make_household(building=building), name="金顺姬"),
        "jin2": make(grid=grid, name="金哲", phone="13800005678"),
        "li": make(
            household=factories.make_household(building=other_building),
            name="李金花",
            phone="0433-3221234",
            birth_date=factories.dt.date(1980, 1, 2),
        ),
    }


def found(user, term: str) -> set[str]:
    residents = scope.with_sensitive_flags(scope.restrict(Resident.objects.all(), user), user)
    return {r.name for r in resident_search(residents, term)}


def test_it_finds_residents_by_the_start_of_their_name_not_the_middle(people, admin_user):
    assert found(admin_user, "金") == {"金顺姬", "金哲"}
    assert found(admin_user, "金顺") == {"金顺姬"}


def test_it_finds_a_resident_by_the_last_digits_of_a_phone(people, admin_user):
    assert found(admin_user, "5678") == {"金哲"}
    assert found(admin_user, "3221234") == {"李金花"}  # the landline 0433-3221234
    assert found(admin_user, "1234") == {"李金花", "金顺姬"}


def test_it_finds_a_resident_by_a_whole_id_number_only(people, admin_user):
    id_number = people["li"].id_number
    assert found(admin_user, id_number.lower()) == {"李金花"}
    assert found(admin_user, id_number[:10]) == set()


def test_it_finds_the_residents_of_an_address(people, admin_user):
    assert found(admin_user, "幸福路") == {"金顺姬"}


def test_an_id_number_the_user_may_not_read_finds_nobody(people):
    official = factories.make_user("official", role="municipal official")
    assert found(official, people["li"].id_number) == set()
    assert found(official, "李") == {"李金花"}


def test_the_admin_search_explains_what_it_takes(admin_client, people):
    page = admin_client.get("/admin/archives/resident/", {"q": "5678"}).content.decode()
    assert "电话号码的最后几位" in page
    assert "金哲" in page and "金顺姬" not in page


def test_a_search_runs_as_many_queries_whatever_the_rows(admin_client, people):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            admin_client.get("/admin/archives/resident/", {"q": "金"})
        return len(captured)

    before = queries()
    for n in range(5):
        factories.make_resident(grid=people["jin"].household.building.grid, name=f"金{n}")
    assert queries() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class is PostgreSQL's")
def test_an_unfiltered_large_list_is_estimated_not_counted(admin_client, people, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archives_resident")
    monkeypatch.setattr(paging, "ESTIMATE_FROM_ROWS", 0)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/archives/resident/")
    assert response.status_code == 200
    assert not [q for q in captured if "COUNT(" in q["sql"].upper()]


def test_a_filtered_list_is_counted_exactly(admin_client, people, monkeypatch):
    monkeypatch.setattr(paging, "ESTIMATE_FROM_ROWS", 0)
    response = admin_client.get("/admin/archives/resident/", {"q": "金"})
    assert response.context["cl"].result_count == 2
