"""The tags kept on households (``HouseholdTag``) stay the tags their residents carry after
every write that tags, moves or removes a resident: otherwise a department's household list
would show a household none of whose residents it serves any more, or miss one it does."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import scope, services
from archives.demo.city import CitySize, demo_city_seed
from archives.models import Building, Household, HouseholdTag, Resident
from archives.selectors import household_tag_mismatches
from portal.demo import demo_roles
from portal.roles import DEPARTMENT_STAFF
from tests import factories
from tests.archives.test_export import export
from tests.archives.test_import import CONFIRM, CREATION_TICKED, row, upload, xlsx

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/admin/archives/household/"


def _civil_affairs_staff(city):
    """Staff of a department serving the whole city (elderly living alone: GA1a, GA1b)."""
    staff = factories.make_user("civil", role=DEPARTMENT_STAFF)
    factories.grant(staff, city.civil_affairs)
    return staff


def _served_households(department) -> list[Household]:
    """The department's households worked out from its residents, as scope said before the
    tags were kept on households: those with a resident carrying a tag it serves, in its area,
    in the list's order."""
    served = Resident.objects.filter(tags__in=department.served_tags.all())
    if not department.serves_whole_city:
        served = served.filter(grid__community__street__in=department.streets.all())
    households = Household.objects.filter(pk__in=served.values("household_id"))
    return list(households.order_by("building__grid__code", "building__address", "unit", "pk"))


def _listed(client, url: str = HOUSEHOLDS):
    response = client.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    return list(changelist.result_list), changelist.paginator.count


def _resident_saved(resident: Resident, *, tags, actor) -> Resident:
    return services.resident_save(resident=resident, actor=actor, tags=tags, reason="更正")


def test_a_whole_city_departments_households_are_those_of_its_residents_counted_from_kept_tags(
    client, city
):
    staff = _civil_affairs_staff(city)
    low_income = factories.make_tag("low-income", "低保")
    city.civil_affairs.served_tags.add(low_income)
    # Two served residents in one household, one of them carrying two served tags.
    neighbour = factories.make_resident(household=city.residents["GA1a"].household, name="邻居")
    elderly = city.civil_affairs.served_tags.get(code="elderly-alone")
    factories.add_tags(neighbour, low_income, elderly)
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        listed, count = _listed(client)

    expected = _served_households(city.civil_affairs)
    assert listed == expected and count == len(expected) == 2
    assert list(scope.restrict(Household.objects.all(), staff).order_by("pk")) == sorted(
        expected, key=lambda h: h.pk
    )
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all('FROM "archives_householdtag"' in sql for sql in counts)


def test_an_area_departments_households_stay_within_its_streets(client, city):
    # GB1a's resident also carries chronic illness, but GB1a is outside health's street SA.
    client.force_login(city.users["department"])
    listed, count = _listed(client)
    assert listed == _served_households(city.health) == [city.residents["GA2a"].household]
    assert count == 1
    buildings = scope.restrict(Building.objects.all(), city.users["department"])
    assert list(buildings) == [city.residents["GA2a"].household.building]


def test_a_household_whose_last_served_resident_loses_the_tag_leaves_the_departments_list(
    client, city
):
    staff = _civil_affairs_staff(city)
    resident = city.residents["GA1a"]
    _resident_saved(resident, tags=[], actor=city.users["community"])

    assert household_tag_mismatches() == []
    client.force_login(staff)
    listed, count = _listed(client)
    assert resident.household not in listed
    assert listed == _served_households(city.civil_affairs) == [city.residents["GA1b"].household]
    assert count == 1


def test_a_resident_tagged_by_a_save_brings_their_household_into_the_departments_list(client, city):
    staff = _civil_affairs_staff(city)
    elderly = city.civil_affairs.served_tags.get()
    resident = city.residents["GB1a"]
    _resident_saved(resident, tags=[*resident.tags.all(), elderly], actor=get_superuser())

    assert household_tag_mismatches() == []
    client.force_login(staff)
    listed, count = _listed(client)
    assert resident.household in listed and count == 3


def get_superuser():
    return get_user_model().objects.create_superuser("root", password="x")


def test_a_new_resident_saved_with_tags_is_kept_on_their_household(city):
    elderly = city.civil_affairs.served_tags.get()
    household = city.residents["GA2a"].household
    services.resident_save(
        resident=Resident(
            household=household,
            name="新住户",
            id_number=factories.id_number_for(dt.date(1940, 1, 1), "M"),
            sex="M",
            birth_date=dt.date(1940, 1, 1),
        ),
        actor=city.users["street"],
        tags=[elderly],
        reason="登记",
    )
    assert household_tag_mismatches() == []
    assert HouseholdTag.objects.filter(household=household, tag=elderly).exists()


def test_a_resident_moved_takes_their_tags_from_the_old_household_to_the_new(city):
    resident = city.residents["GA1a"]  # elderly, the only resident of its household
    old = resident.household
    resident.household = city.residents["GA1b"].household
    services.resident_save(resident=resident, actor=city.users["community"], reason="搬家")

    assert household_tag_mismatches() == []
    assert not HouseholdTag.objects.filter(household=old).exists()


def test_a_removed_resident_takes_their_tags_from_the_household(city):
    resident = city.residents["GB1a"]
    services.resident_delete(resident=resident, actor=get_superuser())
    assert household_tag_mismatches() == []
    assert not HouseholdTag.objects.filter(household=resident.household).exists()


def test_a_revert_brings_the_tags_back_to_the_household(city):
    resident = city.residents["GA1a"]
    community = city.users["community"]
    tagged = resident.history.order_by("-history_date", "-history_id").first()
    assert tagged.tags.exists()
    _resident_saved(resident, tags=[], actor=community)
    services.resident_revert(resident=resident, record=tagged, actor=community)
    assert household_tag_mismatches() == []
    assert HouseholdTag.objects.filter(household=resident.household).exists()


def test_bulk_writes_keep_the_households_tags(city):
    community = city.users["community"]
    elderly = city.civil_affairs.served_tags.get()
    household = city.residents["GA1b"].household
    [created] = services.residents_bulk_create(
        residents=[
            Resident(
                household=household,
                name="批量",
                id_number=factories.id_number_for(dt.date(1945, 2, 2), "F"),
                sex="F",
                birth_date=dt.date(1945, 2, 2),
            )
        ],
        tag_ids=[{elderly.pk}],
        actor=community,
        reason="批量登记",
    )
    assert household_tag_mismatches() == []

    # The older resident loses the tag: the household keeps it for the new one.
    resident = Resident.objects.get(pk=city.residents["GA1b"].pk)
    services.residents_bulk_update(
        residents=[resident], tag_ids=[set()], actor=community, reason="更正", fields=["name"]
    )
    assert household_tag_mismatches() == []
    assert HouseholdTag.objects.filter(household=household, tag=elderly).exists()

    # The new one moves away with it: the household keeps nothing, the new one has it.
    created = Resident.objects.get(pk=created.pk)
    created.household_id = city.residents["GA1a"].household_id
    services.residents_bulk_update(
        residents=[created],
        tag_ids=[{elderly.pk}],
        actor=community,
        reason="搬迁",
        fields=["household"],
    )
    assert household_tag_mismatches() == []
    assert not HouseholdTag.objects.filter(household=household).exists()


def test_an_import_keeps_the_households_tags_of_new_and_updated_residents(client, city):
    community = city.users["community"]  # writes GA1a and GA1b
    client.force_login(community)
    rows = export(client, "resident", "xlsx")
    headers = rows[0]
    updated = next(r for r in rows[1:] if r[headers.index("网格编码")] == "GA1a")
    updated[headers.index("标签")] = "慢性病"  # chronic illness, no longer elderly living alone
    assert upload(client, "更正.xlsx", xlsx([updated], headers)).status_code == 200
    assert client.post(CONFIRM).status_code == 302
    upload(client, "新户.xlsx", xlsx([row(grid="GA1b", building="GA1b路1号", tags="独居老人")]))
    assert client.post(CONFIRM, CREATION_TICKED).status_code == 302

    assert household_tag_mismatches() == []
    kept = HouseholdTag.objects.filter(household=city.residents["GA1a"].household)
    assert list(kept.values_list("tag__code", flat=True)) == ["chronic-illness"]
    newcomer = Resident.objects.get(name="新居民")
    assert HouseholdTag.objects.filter(household=newcomer.household).exists()


def test_a_deleted_tag_leaves_no_household_keeping_it(city):
    elderly = city.civil_affairs.served_tags.get()
    elderly.delete()
    assert household_tag_mismatches() == []


def test_the_demo_city_is_seeded_with_every_households_tags_kept():
    size = CitySize(residents=300, grids=3, streets=1)
    demo_city_seed(seed=7, size=size, roles=demo_roles(), today=dt.date(2026, 11, 26))
    assert HouseholdTag.objects.exists()
    assert household_tag_mismatches() == []


def test_a_household_tag_out_of_step_is_reported(city):
    """The check itself: rows written past the services are found, both ways."""
    resident = city.residents["GA1a"]
    chronic = city.health.served_tags.get()
    resident.tags.add(chronic)  # past the services: its household does not keep it
    HouseholdTag.objects.create(household=city.residents["GA1b"].household, tag=chronic)
    assert household_tag_mismatches() == [
        ("missing", resident.household_id, chronic.pk),
        ("stale", city.residents["GA1b"].household_id, chronic.pk),
    ]


@pytest.mark.parametrize("term", ["居民", "居民GA", "13943321234"])
def test_a_departments_search_lists_exactly_its_served_residents_that_match(client, city, term):
    """A name or phone search checks the department's scope per match (``narrowed``): the
    same residents and count as checking it for every resident it serves."""
    staff = _civil_affairs_staff(city)
    factories.make_resident(household=city.residents["GA1a"].household, name="居民无标签")
    client.force_login(staff)
    response = client.get(f"/admin/archives/resident/?q={term}")
    assert response.status_code == 200
    changelist = response.context["cl"]
    names = [resident.name for resident in changelist.result_list]
    assert names == ["居民GA1a", "居民GA1b"]  # by name; not the untagged one, nor GB1a's
    assert changelist.paginator.count == 2
