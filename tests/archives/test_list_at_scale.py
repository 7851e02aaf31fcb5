"""The resident list answers as it did while it reads less: the tag filter through a
subquery (no SELECT DISTINCT), a whole-city department's count from the tags table."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import scope
from archives.models import Resident
from portal.roles import DEPARTMENT_STAFF
from tests import factories

pytestmark = pytest.mark.django_db

RESIDENTS = "/admin/archives/resident/"


def listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [resident.name for resident in response.context["cl"].result_list]


def test_the_tag_filter_lists_each_tagged_resident_once_and_only_them(admin_client, city):
    chronic = city.health.served_tags.get()
    elderly = city.civil_affairs.served_tags.get()
    both = city.residents["GA2a"]  # chronic illness, and now elderly living alone too
    both.tags.add(elderly)
    with CaptureQueriesContext(connection) as queries:
        names = listed(admin_client, f"{RESIDENTS}?tags__id__exact={elderly.pk}")
    assert sorted(names) == sorted(["居民GA1a", "居民GA1b", "居民GA2a"])
    # No SELECT DISTINCT over the rows (the count from the tags table counts distinct IDs).
    assert not any("SELECT DISTINCT" in q["sql"] for q in queries.captured_queries)
    assert sorted(listed(admin_client, f"{RESIDENTS}?tags__id__exact={chronic.pk}")) == [
        "居民GA2a",
        "居民GB1a",
    ]


def test_the_tag_filter_still_finds_the_untagged_and_the_tagged(admin_client, city):
    untagged = factories.make_resident(household=city.residents["GA1a"].household, name="无标签")
    assert listed(admin_client, f"{RESIDENTS}?tags__isnull=True") == [untagged.name]
    assert untagged.name not in listed(admin_client, f"{RESIDENTS}?tags__isnull=False")
    assert len(listed(admin_client, f"{RESIDENTS}?tags__isnull=False")) == 4


def test_the_tag_filter_stays_within_a_clerks_grid(client, city):
    client.force_login(city.users["clerk"])
    elderly = city.civil_affairs.served_tags.get()
    assert listed(client, f"{RESIDENTS}?tags__id__exact={elderly.pk}") == ["居民GA1a"]


def test_a_tag_that_is_no_number_sends_back_to_the_list_as_before(admin_client, city):
    response = admin_client.get(f"{RESIDENTS}?tags__id__exact=abc")
    assert response.status_code == 302  # Django's "?e=1": the lookup was incorrect
    assert response.url.endswith("?e=1")


def _civil_affairs_staff(city):
    staff = factories.make_user("civil", role=DEPARTMENT_STAFF)
    factories.grant(staff, city.civil_affairs)
    return staff


def test_a_whole_city_departments_list_counts_each_served_resident_once(client, city):
    staff = _civil_affairs_staff(city)
    low_income = factories.make_tag("low-income", "低保")
    city.civil_affairs.served_tags.add(low_income)
    city.residents["GA1a"].tags.add(low_income)  # elderly and low-income: counted once
    city.residents["GB1a"].tags.add(low_income)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(RESIDENTS)
    changelist = response.context["cl"]
    expected = {"居民GA1a", "居民GA1b", "居民GB1a"}
    assert {r.name for r in changelist.result_list} == expected
    assert changelist.paginator.count == len(expected)
    assert scope.restrict(Resident.objects.all(), staff).count() == len(expected)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    # Counted from the tags table, never by reading every resident.
    assert counts and not any('FROM "archives_resident" ' in sql for sql in counts)


def test_only_a_whole_city_departments_residents_are_counted_from_the_tags(city, admin_user):
    staff = _civil_affairs_staff(city)
    assert scope.served_tags_only(staff) == [city.civil_affairs.served_tags.get().pk]
    # Health serves one street: its count must read where the residents live.
    assert scope.served_tags_only(city.users["department"]) is None
    for username in ("clerk", "street", "official"):
        assert scope.served_tags_only(city.users[username]) is None
    assert scope.served_tags_only(admin_user) is None
    factories.grant(staff, city.grids["GB1a"])  # an area grant shows untagged residents too
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh user: scope caches per user object
    assert scope.served_tags_only(staff) is None


def test_a_whole_city_department_filtering_by_a_tag_sees_exactly_its_served_residents(client, city):
    staff = _civil_affairs_staff(city)
    elderly = city.civil_affairs.served_tags.get()
    chronic = city.health.served_tags.get()
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{RESIDENTS}?tags__id__exact={elderly.pk}")
    changelist = response.context["cl"]
    assert sorted(r.name for r in changelist.result_list) == ["居民GA1a", "居民GA1b"]
    assert changelist.paginator.count == 2
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and not any('FROM "archives_resident" ' in sql for sql in counts)
    # A tag it does not serve shows nobody, unless they also carry one it serves.
    response = client.get(f"{RESIDENTS}?tags__id__exact={chronic.pk}")
    assert list(response.context["cl"].result_list) == []
    assert response.context["cl"].paginator.count == 0
    city.residents["GB1a"].tags.add(elderly)
    response = client.get(f"{RESIDENTS}?tags__id__exact={chronic.pk}")
    assert [r.name for r in response.context["cl"].result_list] == ["居民GB1a"]
    assert response.context["cl"].paginator.count == 1
    # Another filter beside the tag: counted through the residents, still only served ones.
    url = f"{RESIDENTS}?tags__id__exact={elderly.pk}&residency_status__exact=registered"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    names = sorted(r.name for r in response.context["cl"].result_list)
    assert names == ["居民GA1a", "居民GA1b", "居民GB1a"]
    assert response.context["cl"].paginator.count == 3
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert any('FROM "archives_resident" ' in sql for sql in counts)


def test_an_area_department_filtering_by_a_tag_sees_only_its_area(client, city):
    chronic = city.health.served_tags.get()
    elderly = city.civil_affairs.served_tags.get()
    client.force_login(city.users["department"])
    response = client.get(f"{RESIDENTS}?tags__id__exact={chronic.pk}")
    assert [r.name for r in response.context["cl"].result_list] == ["居民GA2a"]
    assert response.context["cl"].paginator.count == 1
    assert listed(client, f"{RESIDENTS}?tags__id__exact={elderly.pk}") == []


def test_narrowed_scope_keeps_the_same_residents_for_every_account(city):
    for user in city.users.values():
        user = type(user).objects.get(pk=user.pk)
        every = scope.restrict(Resident.objects.all(), user)
        narrowed = scope.restrict(Resident.objects.all(), user, narrowed=True)
        assert set(narrowed.values_list("name", flat=True)) == set(
            every.values_list("name", flat=True)
        ), user.username


def test_only_administrators_the_city_and_whole_city_departments_see_every_carrier(
    city, admin_user
):
    elderly = city.civil_affairs.served_tags.get()
    chronic = city.health.served_tags.get()
    staff = _civil_affairs_staff(city)
    assert scope.sees_every_carrier(admin_user, [chronic.pk])
    assert scope.sees_every_carrier(city.users["official"], [elderly.pk, chronic.pk])
    assert scope.sees_every_carrier(staff, [elderly.pk])
    # Not a tag it does not serve, not even beside one it does.
    assert not scope.sees_every_carrier(staff, [chronic.pk])
    assert not scope.sees_every_carrier(staff, [elderly.pk, chronic.pk])
    assert not scope.sees_every_carrier(staff, [])
    # Health serves one street; the others see their grids.
    assert not scope.sees_every_carrier(city.users["department"], [chronic.pk])
    for username in ("clerk", "community", "street", "auditor", "nobody"):
        assert not scope.sees_every_carrier(city.users[username], [elderly.pk]), username
    staff.is_active = False
    assert not scope.sees_every_carrier(staff, [elderly.pk])


def _carriers_in_list_order(city, tag) -> list[str]:
    """More carriers of ``tag``, created so that the list's order (grid code, address, unit,
    floor, room, ID) differs from the order they were created in."""
    for index, (code, address) in enumerate(
        [("GB1a", "乙路2号"), ("GA1b", "甲路9号"), ("GA1a", "丙路3号"), ("GA1a", "甲路1号")]
    ):
        household = factories.make_household(
            building=factories.make_building(grid=city.grids[code], address=address)
        )
        resident = factories.make_resident(
            household=household, name=f"新{code}{index}", birth_date=dt.date(1960 + index, 5, 1)
        )
        resident.tags.add(tag)
    listed = Resident.objects.filter(tags=tag).order_by(
        "grid__code",
        "household__building__address",
        "household__unit",
        "household__floor",
        "household__room",
        "id",
    )
    return list(listed.values_list("name", flat=True))


def test_a_whole_city_departments_tag_list_has_the_administrators_rows_in_the_same_order(
    client, admin_client, city
):
    staff = _civil_affairs_staff(city)
    elderly = city.civil_affairs.served_tags.get()
    expected = _carriers_in_list_order(city, elderly)
    assert len(expected) == 6
    url = f"{RESIDENTS}?tags__id__exact={elderly.pk}"
    assert listed(admin_client, url) == expected
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    changelist = response.context["cl"]
    assert [r.name for r in changelist.result_list] == expected
    assert changelist.paginator.count == len(expected)
    # The same rows as the scope and the filter give together, and still masked.
    scoped = scope.restrict(Resident.objects.filter(tags=elderly), staff)
    assert {r.pk for r in changelist.result_list} == set(scoped.values_list("pk", flat=True))
    page = response.content.decode()
    for resident in changelist.result_list:
        assert resident.id_number not in page
        assert scope.mask_id_number(resident.id_number) in page
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and not any('FROM "archives_resident" ' in sql for sql in counts)


def test_a_tag_list_is_counted_from_the_tags_for_whoever_sees_every_carrier(
    client, admin_client, city
):
    chronic = city.health.served_tags.get()
    url = f"{RESIDENTS}?tags__id__exact={chronic.pk}"
    client.force_login(city.users["official"])
    for reader in (admin_client, client):
        with CaptureQueriesContext(connection) as queries:
            response = reader.get(url)
        changelist = response.context["cl"]
        assert sorted(r.name for r in changelist.result_list) == ["居民GA2a", "居民GB1a"]
        assert changelist.paginator.count == 2
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert counts and not any('FROM "archives_resident" ' in sql for sql in counts)


def test_a_served_tag_in_the_query_string_opens_no_file_outside_the_departments_scope(client, city):
    staff = _civil_affairs_staff(city)
    elderly = city.civil_affairs.served_tags.get()
    unserved = city.residents["GA2a"]  # chronic illness only
    client.force_login(staff)
    response = client.get(
        f"{RESIDENTS}{unserved.pk}/change/?tags__id__exact={elderly.pk}", follow=True
    )
    assert unserved.name not in response.content.decode()
    # Beside another filter the list still goes through the scope: the untagged stay out.
    untagged = factories.make_resident(household=city.residents["GA1a"].household, name="无标签")
    names = listed(client, f"{RESIDENTS}?tags__id__exact={elderly.pk}&tags__isnull=True")
    assert untagged.name not in names and unserved.name not in names


def test_a_street_officials_tag_list_keeps_the_streets_carriers_in_list_order(client, city):
    elderly = city.civil_affairs.served_tags.get()
    in_order = _carriers_in_list_order(city, elderly)
    street_grids = {city.grids[code].pk for code in ("GA1a", "GA1b", "GA2a")}
    in_street = Resident.objects.filter(grid__in=street_grids).values_list("name", flat=True)
    expected = [name for name in in_order if name in set(in_street)]
    assert len(expected) == 5  # the carrier in GB1a lies in the other street
    client.force_login(city.users["street"])
    response = client.get(f"{RESIDENTS}?tags__id__exact={elderly.pk}")
    changelist = response.context["cl"]
    assert [r.name for r in changelist.result_list] == expected
    assert changelist.paginator.count == len(expected)
    # The street's own officials read ID numbers in full.
    assert all(r.shows_id_number for r in changelist.result_list)
