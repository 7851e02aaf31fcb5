import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from archives import scope
from archives.demo.city import CitySize, DemoRoles, demo_city_reset, demo_city_seed
from archives.models import Building, Grid, Household, Resident, Street, Visit
from portal.demo import demo_roles

pytestmark = pytest.mark.django_db

SMALL = CitySize(residents=400, grids=6, streets=2)
TODAY = dt.date(2026, 11, 26)


def snapshot() -> list[tuple]:
    """The city's content, independent of database-assigned primary keys."""
    return list(
        Resident.objects.order_by("id_number").values_list(
            "id_number",
            "name",
            "phone",
            "residency_status",
            "household__building__grid__code",
            "household__building__address",
            "household__room",
        )
    )


def test_the_same_seed_builds_the_same_city():
    demo_city_seed(seed=7, size=SMALL, today=TODAY, roles=demo_roles())
    first = snapshot()
    demo_city_reset()
    demo_city_seed(seed=7, size=SMALL, today=TODAY, roles=demo_roles())
    assert snapshot() == first
    assert len(first) == SMALL.residents


def test_another_seed_builds_another_city():
    demo_city_seed(seed=7, size=SMALL, today=TODAY, roles=demo_roles())
    first = snapshot()
    demo_city_reset()
    demo_city_seed(seed=8, size=SMALL, today=TODAY, roles=demo_roles())
    assert snapshot() != first


def test_the_city_has_the_requested_shape():
    summary = demo_city_seed(seed=1, size=SMALL, today=TODAY, roles=demo_roles())
    assert Street.objects.count() == 2
    assert Grid.objects.count() == 6
    assert Resident.objects.count() == 400
    assert summary.counts["residents"] == 400
    assert Visit.objects.exists()
    # every grid has at least one member to make its visits, and buildings with households
    assert not Grid.objects.filter(members=None).exists()
    assert Building.objects.filter(grid__isnull=False).count() == summary.counts["buildings"]
    assert Household.objects.filter(status=Household.Status.VACANT).exists()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grids_of_realistic_size_get_exactly_the_residents_asked_for(seed):
    size = CitySize(residents=2_400, grids=5, streets=1)  # about 480 per grid, as in the demo
    summary = demo_city_seed(seed=seed, size=size, today=TODAY, roles=demo_roles())
    assert Resident.objects.count() == summary.counts["residents"] == 2_400


def test_every_generated_resident_passes_the_archive_validation():
    demo_city_seed(seed=3, size=SMALL, today=TODAY, roles=demo_roles())
    for resident in Resident.objects.all():
        resident.full_clean(validate_constraints=False)
    # and at most one active record per ID number
    active = Resident.objects.filter(residency_status__in=Resident.ACTIVE_STATUSES)
    assert active.values("id_number").distinct().count() == active.count()


def test_each_demo_account_sees_what_its_description_promises():
    demo_city_seed(seed=1, size=SMALL, today=TODAY, roles=demo_roles())
    users = {u.username: u for u in get_user_model().objects.all()}
    streets = list(Street.objects.order_by("code"))
    first_grid = Grid.objects.order_by("code").first()

    def street_codes(username: str) -> set[str]:
        residents = scope.restrict(Resident.objects.all(), users[username])
        return set(
            residents.values_list("household__building__grid__community__street__code", flat=True)
        )

    assert street_codes("street") == {streets[0].code}
    # Auditors browse no archive; their grant says where they run audit campaigns.
    assert street_codes("auditor") == set()
    audit_area = scope.granted_grids(users["auditor"]).values_list("community__street__code")
    assert {code for (code,) in audit_area} == {streets[-1].code}
    assert street_codes("official") == {s.code for s in streets}
    community = scope.restrict(Resident.objects.all(), users["community"])
    assert set(community.values_list("household__building__grid__community", flat=True)) == {
        first_grid.community_id
    }
    served = scope.restrict(Resident.objects.all(), users["department"])
    assert served.exists()
    assert not served.exclude(tags__code__in=["chronic-illness", "disabled"]).exists()
    resident = served.first()
    assert users["department"].has_perm("archives.view_resident_medical_history", resident)
    assert not users["department"].has_perm("archives.view_resident_id_number", resident)
    assert not users["official"].has_perm("archives.view_resident_id_number", resident)


def test_every_grid_member_sees_their_own_grid():
    demo_city_seed(seed=1, size=SMALL, today=TODAY, roles=demo_roles())
    for grid in Grid.objects.prefetch_related("members"):
        for member in grid.members.all():
            visible = scope.restrict(Grid.objects.all(), member)
            assert list(visible) == [grid]


def test_the_city_refuses_roles_for_other_accounts_than_its_own():
    roles = demo_roles()
    with pytest.raises(ValueError, match="demo accounts"):
        demo_city_seed(
            seed=1,
            size=SMALL,
            today=TODAY,
            roles=DemoRoles(grid_member=roles.grid_member, accounts={"admin": None}),
        )
    assert not Street.objects.exists()
