"""Resident search as clerks search (archives/search.py), and lists that count once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import scope
from archives.admin import paging
from archives.models import Household, Resident
from archives.search import (
    PrintedAddress,
    parse_printed_address,
    printed_address_ids,
    resident_search,
)
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


@pytest.fixture
def longmen(db):
    grid = factories.make_grid(code="G9")
    building = factories.make_building(grid=grid, address="龙门路1号")
    neighbour = factories.make_building(grid=grid, address="龙门路12号")

    def home(building, unit, room):
        return Household.objects.create(building=building, unit=unit, floor=4, room=room)

    make = factories.make_resident
    return {
        "here": make(household=home(building, 2, "401"), name="崔英子"),
        "same_unit": make(household=home(building, 2, "402"), name="崔明"),
        "other_unit": make(household=home(building, 1, "401"), name="朴善"),
        "other_building": make(household=home(neighbour, 2, "401"), name="安美"),
    }


@pytest.mark.parametrize(
    "term",
    [
        "龙门路1号2单元401室",  # as the household pages and lists print it
        "龙门路1号2单元401",
        "龙门路1号 2-401",
        "龙门路１号２单元４０１室",  # full-width digits from a Chinese keyboard
        "龙门路1号, unit 2, room 401",  # as the English pages print it
    ],
)
def test_a_clerk_finds_a_households_residents_by_its_printed_address(longmen, admin_user, term):
    assert found(admin_user, term) == {"崔英子"}


def test_an_address_with_a_unit_finds_that_units_residents(longmen, admin_user):
    assert found(admin_user, "龙门路1号2单元") == {"崔英子", "崔明"}


def test_a_printed_address_outside_the_users_grids_finds_nobody(longmen, two_grids):
    assert found(two_grids["clerk"], "龙门路1号2单元401室") == set()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("龙门路1号2单元401室", PrintedAddress("龙门路1号", 2, "401")),
        ("龙门路12号 3-1502", PrintedAddress("龙门路12号", 3, "1502")),
        ("光明小区5栋1单元", PrintedAddress("光明小区5栋", 1, None)),
        ("龙门路12号", None),  # an address alone: the prefix search answers it
        ("金顺", None),
        ("13800001111", None),
    ],
)
def test_a_printed_address_is_read_as_building_unit_and_room(term, expected):
    assert parse_printed_address(term) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN output is PostgreSQL's")
def test_a_printed_address_is_answered_from_indexes(longmen):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        ids = printed_address_ids(parse_printed_address("龙门路1号2单元401室"))
        sql, params = ids.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Seq Scan" not in plan, plan
    assert "building_address_prefix" in plan, plan
    # The household is reached by its building through either index that starts with it; on
    # a table this small PostgreSQL picks either, depending on its statistics.
    household_by_building = ("unique_household_place", "archives_household_building_id")
    assert any(index in plan for index in household_by_building), plan


# A name search lists by name -------------------------------------------------------------------

RESIDENTS = "/admin/archives/resident/"


@pytest.fixture
def wangs(db):
    """Three 王 in two grids, whose names sort unlike the list's default order (grid, address,
    unit, floor, room) and unlike their birth dates."""
    first, second = factories.make_grid(code="G1"), factories.make_grid(code="G2")
    make = factories.make_resident
    return {
        # 一 < 子 < 珍 by code point.
        "zhen": make(grid=first, name="王珍", birth_date=factories.dt.date(1990, 1, 1)),
        "zi": make(grid=first, name="王子", birth_date=factories.dt.date(1950, 1, 1)),
        "yi": make(grid=second, name="王一", birth_date=factories.dt.date(1970, 1, 1)),
    }


def listed(client, **params) -> tuple[list[str], str]:
    response = client.get(RESIDENTS, params)
    assert response.status_code == 200
    return [r.name for r in response.context["cl"].result_list], response.content.decode()


def column(client, name: str) -> int:
    return client.get(RESIDENTS).context["cl"].list_display.index(name)


def test_a_surname_search_lists_by_name_across_grids_and_says_so(admin_client, wangs):
    names, page = listed(admin_client, q="王")
    assert names == ["王一", "王子", "王珍"]
    assert "按姓名排列" in page
    assert 'class="sortable column-name sorted ascending"' in page


def test_a_clicked_heading_sorts_a_name_search_by_that_column(admin_client, wangs):
    birth = column(admin_client, "birth_date_shown")
    names, page = listed(admin_client, q="王", o=str(birth))
    assert names == ["王子", "王一", "王珍"]
    assert "按姓名排列" not in page
    names, _page = listed(admin_client, q="王", o=f"-{column(admin_client, 'name')}")
    assert names == ["王珍", "王子", "王一"]


def test_an_address_search_keeps_the_lists_order(admin_client, db):
    first, second = factories.make_grid(code="G1"), factories.make_grid(code="G2")
    make = factories.make_resident
    make(
        household=factories.make_household(
            building=factories.make_building(grid=second, address="幸福路1号")
        ),
        name="安一",
    )
    make(
        household=factories.make_household(
            building=factories.make_building(grid=first, address="幸福路9号")
        ),
        name="朴哲",
    )
    names, page = listed(admin_client, q="幸福路")
    assert names == ["朴哲", "安一"]  # the first grid first
    assert "按姓名排列" not in page


def test_a_term_that_starts_names_and_addresses_finds_both(admin_user, db):
    grid = factories.make_grid(code="G1")
    factories.make_resident(grid=grid, name="龙海")
    building = factories.make_building(grid=grid, address="龙门路1号")
    factories.make_resident(household=factories.make_household(building=building), name="金哲")
    assert found(admin_user, "龙") == {"龙海", "金哲"}


def test_a_grid_members_name_search_finds_only_their_grids_residents(client, two_grids):
    factories.make_resident(grid=two_grids["other_grid"], name="金哲")
    factories.make_resident(grid=two_grids["grid"], name="金顺")
    client.force_login(two_grids["clerk"])
    names, _page = listed(client, q="金")
    assert names == ["金顺", "金顺姬"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN output is PostgreSQL's")
def test_a_name_searchs_page_walks_the_name_index_without_sorting(admin_client, wangs):
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(RESIDENTS, {"q": "王"})
    page_sql = next(
        q["sql"]
        for q in captured
        if '"archives_resident"."name"::text LIKE' in q["sql"] and "ORDER BY" in q["sql"]
    )
    # Three rows fit on one page, which Django then reads without a LIMIT: as a full page.
    page_sql += " LIMIT 100"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archives_resident")
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        cursor.execute("SET enable_bitmapscan = off")
        # Three rows cost nothing to sort; what matters is that an index gives their order.
        cursor.execute("SET enable_sort = off")
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET ALL")
    assert "resident_name_order" in plan, plan
    assert "Sort" not in plan, plan
