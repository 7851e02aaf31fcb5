"""A small city for micro-wishes: street W with communities A and B, street X with community C;
the staff of A and of B, W's street official, a municipal official; claimers: a housing
department's staff member, a party member, a volunteer (approved), a volunteer waiting for
approval, a suspended and a refused one, and a member of A's staff who is also a party member
claimer (to show one never confirms one's own claim)."""

from dataclasses import dataclass

import pytest

from archives.models import Community, Department, Grid, Street
from portal import roles
from tests import factories
from tests.wishes.factories import make_category, make_claimer, post_wish
from wishes.models import Claimer, ClaimerKind, ClaimerStatus, Wish, WishCategory


@dataclass
class WishCity:
    street: Street
    other_street: Street
    community: Community  # A, in W
    neighbour: Community  # B, in W
    far: Community  # C, in X
    grid: Grid
    housing: Department
    category: WishCategory
    talk: WishCategory
    staff: object  # A's staff
    neighbour_staff: object  # B's staff
    far_staff: object  # C's staff
    street_official: object  # W's
    other_street_official: object  # X's
    municipal: object
    admin: object
    housing_staff: object  # a department claimer
    party_member: object
    volunteer: object
    pending: object
    suspended: object
    refused: object
    staff_claimer: object  # A's staff and a party member claimer
    outsider: object  # a volunteer account without a claimer registration

    def post(self, *, community: Community | None = None, actor=None, **fields) -> Wish:
        community = community or self.community
        if actor is None:
            actor = {
                self.community.pk: self.staff,
                self.neighbour.pk: self.neighbour_staff,
                self.far.pk: self.far_staff,
            }[community.pk]
        return post_wish(actor, community, fields.pop("category", self.category), **fields)

    def claimer(self, user) -> Claimer:
        return Claimer.objects.get(user=user)


@pytest.fixture
def city(db) -> WishCity:
    grid = factories.make_grid(code="WA", street_code="W")
    community = grid.community
    street = community.street
    neighbour = Community.objects.create(code="W-C2", name="W二社区", street=street)
    Grid.objects.create(code="WB", name="WB网格", community=neighbour)
    far = factories.make_grid(code="XC", street_code="X").community
    other_street = far.street
    housing = Department.objects.create(code="housing", name="住建局", serves_whole_city=True)

    def person(username, role, unit=None):
        user = factories.make_user(username, role=role)
        if unit is not None:
            factories.grant(user, unit)
        return user

    housing_staff = person("housing", roles.DEPARTMENT_STAFF, housing)
    make_claimer(
        housing_staff,
        community=community,
        kind=ClaimerKind.DEPARTMENT,
        department=housing,
        name="住建局小王",
    )
    party_member = person("party", roles.PARTY_MEMBER)
    make_claimer(party_member, community=community, kind=ClaimerKind.PARTY_MEMBER, name="党员老刘")
    volunteer = person("volunteer", roles.VOLUNTEER)
    make_claimer(volunteer, community=neighbour, name="志愿者小陈")
    pending = person("pending", roles.VOLUNTEER)
    make_claimer(pending, community=neighbour, status=ClaimerStatus.PENDING)
    suspended = person("suspended", roles.VOLUNTEER)
    make_claimer(suspended, community=neighbour, status=ClaimerStatus.SUSPENDED)
    refused = person("refused", roles.VOLUNTEER)
    make_claimer(refused, community=neighbour, status=ClaimerStatus.REFUSED)
    staff_claimer = person("staff_claimer", roles.COMMUNITY_STAFF, community)
    staff_claimer.groups.add(roles.roles_ensure()[roles.PARTY_MEMBER])
    make_claimer(staff_claimer, community=community, kind=ClaimerKind.PARTY_MEMBER)
    return WishCity(
        street=street,
        other_street=other_street,
        community=community,
        neighbour=neighbour,
        far=far,
        grid=grid,
        housing=housing,
        category=make_category(),
        talk=make_category("talk", "反诈宣讲", 10),
        staff=person("staff", roles.COMMUNITY_STAFF, community),
        neighbour_staff=person("neighbour_staff", roles.COMMUNITY_STAFF, neighbour),
        far_staff=person("far_staff", roles.COMMUNITY_STAFF, far),
        street_official=person("street", roles.STREET_OFFICIAL, street),
        other_street_official=person("other_street", roles.STREET_OFFICIAL, other_street),
        municipal=person("city", roles.MUNICIPAL_OFFICIAL),
        admin=factories.make_user("admin", superuser=True),
        housing_staff=housing_staff,
        party_member=party_member,
        volunteer=volunteer,
        pending=pending,
        suspended=suspended,
        refused=refused,
        staff_claimer=staff_claimer,
        outsider=person("outsider", roles.VOLUNTEER),
    )
