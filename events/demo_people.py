"""Who acts on the demo city's events: the departments in charge and the inspection office,
a staff account for each (``EVENT_DEMO_ACCOUNTS`` of ``events.demo``), and a staff account
for every community and an official for every street that the city's own demo accounts
(``community``, ``street``) do not cover."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.models import User as Account
from guardian.shortcuts import assign_perm

from accounts.system import system_actor
from accounts.types import Actor
from archives import scope
from archives.demo.names import GIVEN_NAME_CHARS, HAN_SURNAMES
from archives.models import Community, Department, Grid, Street
from archives.services import department_save

#: Prefixes of the accounts generated per community and per street.
COMMUNITY_STAFF_PREFIX, STREET_OFFICIAL_PREFIX = "cs-", "so-"


@dataclass(frozen=True)
class EventDemoRoles:
    """The role groups of the accounts the events demo creates (passed in by the portal)."""

    community_staff: Group
    street_official: Group
    department_staff: Group


def administrator() -> Actor:
    """Who keeps the demo's departments, categories and calendar: its administrator."""
    admin = Account.objects.filter(is_superuser=True).order_by("pk").first()
    return admin or system_actor()


@dataclass
class EventPeople:
    rng: random.Random
    departments: dict[str, Department] = field(default_factory=dict)
    department_staff: dict[str, Actor] = field(default_factory=dict)
    community: dict[int, Actor] = field(default_factory=dict)
    street: dict[int, Actor] = field(default_factory=dict)
    members: dict[int, list[Actor]] = field(default_factory=dict)
    city: Actor | None = None
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def member_of(self, grid: Grid) -> Actor:
        return self.rng.choice(self.members[grid.pk])

    @classmethod
    def create(
        cls,
        rng: random.Random,
        roles: EventDemoRoles,
        accounts: Sequence[tuple[str, str, str, str]],
        departments: Sequence[tuple[str, str, bool]],
        password: str,
    ) -> "EventPeople":
        people = cls(rng=rng)
        actor = administrator()
        for code, name, inspection in departments:
            department_save(
                department=Department(
                    code=code, name=name, serves_whole_city=True, is_inspection_office=inspection
                ),
                actor=actor,
                reason="demo",
            )
        people.departments = {d.code: d for d in Department.objects.all()}
        hashed = make_password(password)  # once: hashing is slow on purpose
        for username, full_name, code, about in accounts:
            user = people._account(username, full_name, hashed, roles.department_staff)
            department = people.departments[code]
            assign_perm(f"archives.{scope.grant_codename(Department)}", user, department)
            people.department_staff[code] = user
            people.accounts.append((username, about))
        Users = Account
        known = Users.objects.in_bulk(["community", "street", "official"], field_name="username")
        covered = (
            set(scope.granted_units(known["community"], Community).values_list("pk", flat=True))
            if "community" in known
            else set()
        )
        for community in Community.objects.order_by("code"):
            if community.pk in covered:
                people.community[community.pk] = known["community"]
                continue
            user = people._account(
                f"{COMMUNITY_STAFF_PREFIX}{community.code.lower()}",
                people._name(),
                hashed,
                roles.community_staff,
            )
            assign_perm(f"archives.{scope.grant_codename(Community)}", user, community)
            people.community[community.pk] = user
        covered = (
            set(scope.granted_units(known["street"], Street).values_list("pk", flat=True))
            if "street" in known
            else set()
        )
        for street in Street.objects.order_by("code"):
            if street.pk in covered:
                people.street[street.pk] = known["street"]
                continue
            user = people._account(
                f"{STREET_OFFICIAL_PREFIX}{street.code.lower()}",
                people._name(),
                hashed,
                roles.street_official,
            )
            assign_perm(f"archives.{scope.grant_codename(Street)}", user, street)
            people.street[street.pk] = user
        people.city = known.get("official")
        memberships = Grid.members.through.objects.order_by("grid_id", "user_id")
        users = Users.objects.in_bulk(memberships.values_list("user_id", flat=True))
        for grid_id, user_id in memberships.values_list("grid_id", "user_id"):
            people.members.setdefault(grid_id, []).append(users[user_id])
        return people

    def _account(self, username: str, full_name: str, hashed: str, group: Group) -> Actor:
        user = Account.objects.create(
            username=username, first_name=full_name, password=hashed, is_staff=True
        )
        user.groups.add(group)
        return user

    def _name(self) -> str:
        return self.rng.choice(HAN_SURNAMES) + "".join(self.rng.sample(GIVEN_NAME_CHARS, 2))
