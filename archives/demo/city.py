"""Builds the demo city: streets, communities, grids, buildings, households, residents, visits
and one account per role (the roles' groups passed in by the portal as ``DemoRoles``: the role
table names the permissions of apps above this one). Deterministic for a given seed and day;
written with bulk inserts.

The city has a past: it stood as it was on the eve of a window of ``history_months`` months
before today's month, and the builder then walks the window day by day in time order, writing
each day's events through the services with history dated that day (``at=``): families moving
in, files verified (some with a new phone number), residents moving out, visits, and through a
hook (``monthly_audit``, passed by the audits app, which this app may not import) one audit a
month. So last month's report, the dashboard's six-month charts and the as-of history views
read a believable past, not a city created this morning.

Every building stands on a map of the town (``archives.demo.map``: streets as districts around
the centre, communities and grids as blocks, buildings in rows), and a visit logged with a
position was logged at the building's door, give or take the phone's error.

Residents are generated grid by grid and flushed to the database in chunks, so a province-sized
benchmark city (``residents=1_000_000``) needs memory for one chunk, not for the whole city.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.system import system_actor
from archives import services
from archives.demo import names
from archives.demo.map import LatLon, TownMap, moved
from archives.history import HISTORIED_MODELS
from archives.model_meta import history_manager
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    GridUserObjectPermission,
    Household,
    HouseholdTag,
    OrgUnit,
    Resident,
    Street,
    Tag,
    Visit,
)
from archives.months import months_back
from archives.scope import grant_codename
from archives.validators import FEMALE, MALE, id_number_check_char

DEMO_PASSWORD = "demo"
GRID_MEMBER_PREFIX = "gm-"
BATCH_SIZE = 2000
# Residents per chunk flushed to the database; bounds memory for province-sized cities.
CHUNK_RESIDENTS = 50_000
#: Months of visits in a city without a past (``history_months=0``, the benchmark city).
VISIT_MONTHS = 3
PERSONS_PER_HOUSEHOLD = 2.6
#: Units, floors and rooms a floor of the smallest building (``_building``): how many
#: buildings a grid may need, so that the map leaves room for them.
SMALLEST_BUILDING = (2, 5, 2)
#: How far a phone's position at a door may be from the building's, in metres (one sigma).
GPS_ERROR = 8.0
#: Within the window: share of families that moved in (their files are created that day),
#: of active residents verified at least once (and of those, a second time), whose phone
#: changed at a verification, and who moved out.
ARRIVING_FAMILIES = 0.07
VERIFIED_IN_WINDOW = 0.8
VERIFIED_TWICE = 0.3
PHONE_CHANGED = 0.12
MOVING_OUT = 0.025
#: Share of visits made in the morning, when grid members walk their rounds.
VISITS_ON_MORNING_ROUND = 0.85
#: Share of households without a tag asking for visits that are visited in a month.
OTHER_VISITS = 0.06
#: The day of the month the monthly audit is drawn, checked and closed.
AUDIT_DAY = 20
#: Times of day the timeline's events are dated: new files, changes, audits, visits' entries.
ARRIVALS_AT, CHANGES_AT, AUDIT_AT, VISITS_LOGGED_AT = (
    dt.time(9),
    dt.time(15),
    dt.time(16),
    dt.time(19, 30),
)

# (username, what the account is for) in the order they are printed. Their roles are the
# portal's (``settings.DEMO_ACCOUNTS``), passed in as ``DemoRoles``.
DEMO_ACCOUNTS = [
    ("admin", "administrator (superuser)"),
    ("clerk", "grid member of the first grid"),
    ("community", "staff of the first community"),
    ("street", "official of the first street"),
    ("department", "health department: its residents, read-only"),
    ("auditor", "audit staff: runs sample audits in the last street"),
    ("official", "municipal official: whole city, read-only, masked"),
]
#: Pages and reports show people by name, not login (family name first, as written in Chinese).
DEMO_FULL_NAMES = {
    "admin": "赵立新",
    "clerk": "刘晓彤",
    "community": "金美兰",
    "street": "张志强",
    "department": "李卫东",
    "auditor": "朴成浩",
    "official": "陈国栋",
}

#: Called for each month of the window on its audit day: (month's first day, moment, random).
MonthlyAudit = Callable[[dt.date, dt.datetime, random.Random], object]


@dataclass(frozen=True)
class DemoRoles:
    """The role groups the demo's people join. The role table belongs to the portal
    (``portal.roles``), above this app, which passes the groups in."""

    #: The role of the generated grid members (``gm-…``).
    grid_member: Group
    #: The role of each of ``DEMO_ACCOUNTS``; None: an administrator, who is a superuser.
    accounts: Mapping[str, Group | None]


@dataclass(frozen=True)
class CitySize:
    residents: int = 60_000
    grids: int = 126
    streets: int = 3
    grids_per_community: int = 3
    #: Months of past before today's month (0: everything written now, as for benchmarks).
    history_months: int = 6


@dataclass
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str]] = field(default_factory=list)


def demo_city_exists() -> bool:
    return Street.objects.exists()


@transaction.atomic
def demo_city_reset() -> None:
    """Remove the demo city, its history and its accounts. Demo data only: never part of
    normal work, where residents are not deleted and history is never removed.
    """
    User = get_user_model()
    # A deleted row normally leaves a "deleted" history entry; the demo's go with it instead.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        Visit.objects.all().delete()
        Resident.tags.through.objects.all().delete()
        HouseholdTag.objects.all().delete()
        Resident.objects.all().delete()
        Household.objects.all().delete()
        Building.objects.all().delete()
        Grid.members.through.objects.all().delete()
        Grid.objects.all().delete()
        Community.objects.all().delete()
        Department.objects.all().delete()
        Street.objects.all().delete()
        Tag.objects.all().delete()
    for model in HISTORIED_MODELS:
        history_manager(model).all().delete()
    demo_usernames = [username for username, _about in DEMO_ACCOUNTS]
    User.objects.filter(username__in=demo_usernames).delete()
    User.objects.filter(username__startswith=GRID_MEMBER_PREFIX).delete()


@transaction.atomic
def demo_grants_ensure() -> None:
    """Give the demo accounts and grid members the grants their descriptions promise.

    Idempotent, so a benchmark city built before grants existed can be brought up to date.
    """
    User = get_user_model()
    accounts = User.objects.in_bulk(
        [username for username, _about in DEMO_ACCOUNTS], field_name="username"
    )
    streets = list(Street.objects.order_by("code")[:2])
    first_grid = Grid.objects.filter(community__street=streets[0]).order_by("code")[0]
    scope_of: dict[str, OrgUnit] = {
        "clerk": first_grid,
        "community": first_grid.community,
        "street": streets[0],
        "department": Department.objects.get(code="health"),
        # An audit team works away from the grids it could be tempted to favour.
        "auditor": streets[-1],
    }
    for username, unit in scope_of.items():
        if username in accounts:
            assign_perm(f"archives.{grant_codename(type(unit))}", accounts[username], unit)
    access_grid = Permission.objects.get(
        content_type__app_label="archives", codename=grant_codename(Grid)
    )
    members = Grid.members.through.objects.filter(user__username__startswith=GRID_MEMBER_PREFIX)
    GridUserObjectPermission.objects.bulk_create(
        [
            GridUserObjectPermission(
                user_id=m.user_id, content_object_id=m.grid_id, permission=access_grid
            )
            for m in members
        ],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )


@transaction.atomic
def demo_city_seed(
    *,
    seed: int,
    size: CitySize,
    today: dt.date,
    roles: DemoRoles,
    monthly_audit: MonthlyAudit | None = None,
) -> SeedSummary:
    """Build the city as of ``today`` with ``size.history_months`` months of past, its people
    in ``roles``; ``monthly_audit`` runs each month's audit on its day of the timeline."""
    described = {username for username, _about in DEMO_ACCOUNTS}
    if set(roles.accounts) != described:
        raise ValueError(
            f"The demo accounts are {sorted(described)}; roles were given for "
            f"{sorted(roles.accounts)}."
        )
    builder = _CityBuilder(
        rng=random.Random(seed),
        size=size,
        today=today,
        seed=seed,
        roles=roles,
        monthly_audit=monthly_audit,
    )
    return builder.build()


class _CityBuilder:
    def __init__(
        self,
        *,
        rng: random.Random,
        size: CitySize,
        today: dt.date,
        seed: int,
        roles: DemoRoles,
        monthly_audit: MonthlyAudit | None = None,
    ) -> None:
        # Every row gets a "created" history entry by the system account, saying why.
        self.actor = system_actor()
        self.reason = f"seed_demo --seed {seed}"
        self.rng = rng
        self.seed = seed
        self.roles = roles
        self.size = size
        self.today = today
        self.used_id_numbers: set[str] = set()
        self.tags: dict[str, Tag] = {}
        self.members_by_grid: dict[int, list[int]] = {}
        self.summary = SeedSummary()
        self._pending: list[tuple[Grid, list[Building], list[list[Household]], list]] = []
        self._pending_residents = 0
        self.tz = timezone.get_current_timezone()
        self.monthly_audit = monthly_audit
        # The window of past: from the first day of the month ``history_months`` before
        # today's to yesterday. Everything else stood on its eve (``self.eve``).
        self.window_start = months_back(today, size.history_months)
        self.window_days = [
            self.window_start + dt.timedelta(days=n)
            for n in range((today - self.window_start).days)
        ]
        self.has_past = size.history_months > 0
        self.eve = (
            self._at(self.window_start - dt.timedelta(days=1), ARRIVALS_AT)
            if self.has_past
            else None
        )
        # Each day's events of the timeline: new files, changes, visits.
        self.arrivals: dict[dt.date, list[tuple[Resident, set[int]]]] = defaultdict(list)
        self.changes: dict[dt.date, list[tuple[Resident, str]]] = defaultdict(list)
        self.visits_of_day: dict[dt.date, list[Visit]] = defaultdict(list)
        self.tag_ids_of: dict[int, set[int]] = {}

    # --- organisation -------------------------------------------------------------------

    def build(self) -> SeedSummary:
        self._create_tags()
        streets = self._create_streets()
        communities = self._create_communities(streets)
        grids = self._create_grids(communities)
        self._create_departments()
        self._create_grid_members(grids)
        self._create_demo_accounts(grids[0])
        demo_grants_ensure()
        self._create_archive(grids)
        if self.has_past:
            self._live_the_past()
        return self.summary

    def _create_tags(self) -> None:
        created = self._insert(
            [
                Tag(code=code, name=name, needs_visits_per_month=visits)
                for code, name, visits, _share in names.TAGS
            ]
        )
        self.tags = {tag.code: tag for tag in created}
        self.summary.counts["tags"] = len(created)

    def _create_streets(self) -> list[Street]:
        streets = []
        for i in range(self.size.streets):
            name = names.STREET_NAMES[i % len(names.STREET_NAMES)]
            if i >= len(names.STREET_NAMES):
                name = f"{name}{i // len(names.STREET_NAMES) + 1}"
            streets.append(Street(code=f"S{i + 1:02d}", name=name))
        self.summary.counts["streets"] = len(streets)
        return self._insert(streets)

    def _create_communities(self, streets: list[Street]) -> list[Community]:
        count = math.ceil(self.size.grids / self.size.grids_per_community)
        communities = []
        for i in range(count):
            street = streets[i * len(streets) // count]
            stem = names.COMMUNITY_STEMS[i % len(names.COMMUNITY_STEMS)]
            suffix = "" if i < len(names.COMMUNITY_STEMS) else str(i // len(names.COMMUNITY_STEMS))
            communities.append(
                Community(street=street, code=f"C{i + 1:03d}", name=f"{stem}{suffix}社区")
            )
        self.summary.counts["communities"] = len(communities)
        return self._insert(communities)

    def _create_grids(self, communities: list[Community]) -> list[Grid]:
        grids = []
        for i in range(self.size.grids):
            community = communities[i // self.size.grids_per_community]
            number = i % self.size.grids_per_community + 1
            grids.append(
                Grid(
                    community=community, code=f"G{i + 1:04d}", name=f"{community.name}{number}网格"
                )
            )
        self.summary.counts["grids"] = len(grids)
        return self._insert(grids)

    def _create_departments(self) -> None:
        departments = self._insert(
            [
                Department(
                    code=code,
                    name=name,
                    serves_whole_city=True,
                    shares_medical_history=shares_medical_history,
                )
                for code, name, _tags, shares_medical_history in names.DEPARTMENTS
            ]
        )
        for department, (_code, _name, tag_codes, _shares) in zip(
            departments, names.DEPARTMENTS, strict=True
        ):
            department.served_tags.set([self.tags[c] for c in tag_codes])
        self.summary.counts["departments"] = len(departments)

    def _create_grid_members(self, grids: list[Grid]) -> None:
        """One grid member per grid, and a second one in about a third of the grids."""
        User = get_user_model()
        group = self.roles.grid_member
        users, owners = [], []
        for grid in grids:
            for n in range(1 if self.rng.random() < 0.67 else 2):
                surname = self.rng.choice(names.HAN_SURNAMES)
                users.append(
                    User(
                        username=f"{GRID_MEMBER_PREFIX}{grid.code.lower()}-{n + 1}",
                        first_name=surname + self._given_name(),
                        is_staff=True,
                        password=make_password(None),
                    )
                )
                owners.append(grid)
        users = User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        Grid.members.through.objects.bulk_create(  # history: grid membership is not historied
            [
                Grid.members.through(grid_id=g.pk, user_id=u.pk)
                for g, u in zip(owners, users, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users],
            batch_size=BATCH_SIZE,
        )
        for grid, user in zip(owners, users, strict=True):
            self.members_by_grid.setdefault(grid.pk, []).append(user.pk)
        self.summary.counts["grid members"] = len(users)

    def _create_demo_accounts(self, grid: Grid) -> None:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        for username, about in DEMO_ACCOUNTS:
            role = self.roles.accounts[username]
            user = User.objects.create(
                username=username,
                first_name=DEMO_FULL_NAMES[username],
                password=password,
                is_staff=True,
                is_superuser=role is None,
            )
            if role:
                user.groups.add(role)
            if username == "clerk":
                grid.members.add(user)
                self.members_by_grid.setdefault(grid.pk, []).insert(0, user.pk)
            self.summary.accounts.append((username, about))

    # --- archive ------------------------------------------------------------------------

    def _create_archive(self, grids: list[Grid]) -> None:
        per_grid = self._split(self.size.residents, len(grids))
        town = self._lay_out(grids, per_grid)
        self.summary.counts.update(buildings=0, households=0, residents=0, visits=0)
        for index, (grid, quota) in enumerate(zip(grids, per_grid, strict=True)):
            self._plan_grid(index, grid, quota, town)
            if self._pending_residents >= CHUNK_RESIDENTS:
                self._flush()
        self._flush()

    def _lay_out(self, grids: list[Grid], per_grid: list[int]) -> TownMap:
        """The town's map, with room in each grid's block for the buildings its largest grid
        could need were every building the smallest."""
        units, floors, rooms = SMALLEST_BUILDING
        households = math.ceil(max(per_grid) / PERSONS_PER_HOUSEHOLD * 1.04)
        room_for = math.ceil(households / (units * floors * rooms)) + 2  # and build on
        streets: dict[int, int] = {}
        communities: dict[int, int] = {}
        for grid in grids:  # in code order: streets and communities as the city numbers them
            streets.setdefault(grid.community.street_id, len(streets))
            communities.setdefault(grid.community_id, len(communities))
        return TownMap(
            seed=self.seed,
            grids=tuple(
                (streets[grid.community.street_id], communities[grid.community_id])
                for grid in grids
            ),
            buildings_per_grid=room_for,
        )

    def _split(self, total: int, parts: int) -> list[int]:
        """Split ``total`` into ``parts`` sizes varying ±25% around the mean, summing exactly."""
        weights = [self.rng.uniform(0.75, 1.25) for _ in range(parts)]
        scale = total / sum(weights)
        sizes = [int(w * scale) for w in weights]
        for i in range(total - sum(sizes)):
            sizes[i % parts] += 1
        return sizes

    def _plan_grid(self, index: int, grid: Grid, quota: int, town: TownMap) -> None:
        road = names.ROAD_NAMES[index % len(names.ROAD_NAMES)]
        first_number = (index // len(names.ROAD_NAMES)) * 40 + 1
        households_needed = max(1, math.ceil(quota / PERSONS_PER_HOUSEHOLD * 1.04))
        buildings: list[Building] = []
        households: list[list[Household]] = []

        def add_building() -> list[Household]:
            number = len(buildings)
            building, places = self._building(
                grid, f"{road}{first_number + number}号", town.building(index, number)
            )
            buildings.append(building)
            households.append(places)
            return places

        while sum(len(places) for places in households) < households_needed:
            add_building()
        people, placed = self._plan_people([h for p in households for h in p], quota)
        while placed < quota:  # families came out larger than planned: build on
            more, more_placed = self._plan_people(add_building(), quota - placed)
            people += more
            placed += more_placed
        self._pending.append((grid, buildings, households, people))
        self._pending_residents += quota

    def _building(
        self, grid: Grid, address: str, location: LatLon
    ) -> tuple[Building, list[Household]]:
        units, floors = self.rng.randint(2, 4), self.rng.randint(5, 7)
        building = Building(
            grid=grid,
            address=address,
            units=units,
            floors=floors,
            latitude=location.latitude,
            longitude=location.longitude,
        )
        places = [
            Household(
                building=building,
                unit=unit,
                floor=floor,
                room=f"{floor}{room:02d}",
                status=Household.Status.OCCUPIED,
            )
            for unit in range(1, units + 1)
            for floor in range(1, floors + 1)
            for room in (1, 2)
        ]
        return building, places

    def _plan_people(self, households: list[Household], quota: int) -> tuple[list, int]:
        """Fill households in random order with families until ``quota`` residents are placed;
        the households left over stay vacant. Returns the people and how many were placed."""
        rng = self.rng
        people: list[tuple[Household, Resident, list[str], dt.date | None]] = []
        order = list(range(len(households)))
        rng.shuffle(order)
        placed = 0
        for position in order:
            household = households[position]
            if placed >= quota or rng.random() < 0.05:
                household.status = Household.Status.VACANT
                continue
            rented = rng.random() < 0.12
            if rented:
                household.status = Household.Status.RENTED
            size = min(quota - placed, rng.choices([1, 2, 3, 4, 5], [18, 32, 28, 15, 7])[0])
            family = self._family(size, rented=rented)
            arrival = None
            if self.has_past and self.window_days and rng.random() < ARRIVING_FAMILIES:
                arrival = rng.choice(self.window_days)
                for resident, _tags in family:
                    # A family moving in is registered, and its files confirmed, that day.
                    resident.last_verified_at = self._at(arrival, ARRIVALS_AT)
                    if resident.residency_status not in Resident.ACTIVE_STATUSES:
                        resident.residency_status = Resident.ResidencyStatus.FLOATING
            people.extend((household, resident, tags, arrival) for resident, tags in family)
            placed += size
        return people, placed

    def _family(self, size: int, *, rented: bool) -> list[tuple[Resident, list[str]]]:
        rng = self.rng
        ethnicity = rng.choices(
            list(Resident.Ethnicity),
            [60, 34, 3, 1.5, 1, 0.5],
        )[0]
        surnames = (
            names.KOREAN_SURNAMES if ethnicity == Resident.Ethnicity.KOREAN else names.HAN_SURNAMES
        )
        family_name = rng.choice(surnames)
        head_age = rng.randint(68, 92) if size == 1 and rng.random() < 0.55 else rng.randint(24, 85)
        head_sex = rng.choice([MALE, FEMALE])
        members = [(Resident.Relation.HEAD, head_age, head_sex, family_name)]
        if size >= 2:
            spouse_sex = FEMALE if head_sex == MALE else MALE
            spouse_age = max(20, head_age + rng.randint(-5, 5))
            members.append((Resident.Relation.SPOUSE, spouse_age, spouse_sex, rng.choice(surnames)))
        for _ in range(size - len(members)):
            if head_age > 60 and rng.random() < 0.5:
                relation, age = Resident.Relation.GRANDCHILD, rng.randint(1, 20)
            elif head_age < 50 and rng.random() < 0.3:
                relation, age = Resident.Relation.PARENT, min(98, head_age + rng.randint(22, 32))
            else:
                relation, age = Resident.Relation.CHILD, max(0, head_age - rng.randint(22, 35))
            inherits = relation in (Resident.Relation.CHILD, Resident.Relation.GRANDCHILD)
            surname = family_name if inherits else rng.choice(surnames)
            members.append((relation, age, rng.choice([MALE, FEMALE]), surname))

        family = []
        for relation, age, sex, surname in members:
            resident = self._resident(age=age, sex=sex, surname=surname, rented=rented)
            resident.relation_to_head = relation
            resident.ethnicity = ethnicity
            tags = self._tags_for(resident, age=age, family_size=size, ages=[m[1] for m in members])
            family.append((resident, tags))
        return family

    def _resident(self, *, age: int, sex: str, surname: str, rented: bool) -> Resident:
        rng = self.rng
        birth_date = self.today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        status_weights = [72, 23, 3, 2] if rented else [90, 5, 3, 2]
        status = rng.choices(list(Resident.ResidencyStatus), status_weights)[0]
        verified = rng.random() < 0.8
        return Resident(
            name=surname + self._given_name(),
            id_number=self._id_number(birth_date, sex),
            sex=sex,
            birth_date=birth_date,
            phone=self._phone(age),
            residency_status=status,
            medical_history=(
                "、".join(rng.sample(names.MEDICAL_CONDITIONS, rng.randint(1, 2)))
                if age >= 50 and rng.random() < 0.3
                else ""
            ),
            last_verified_at=(
                self._moment(self._first_day - dt.timedelta(days=rng.randint(0, 400)))
                if verified
                else None
            ),
        )

    def _tags_for(self, resident: Resident, *, age: int, family_size: int, ages: list[int]):
        rng = self.rng
        tags = []
        if family_size == 1 and age >= 65:
            tags.append("elderly-alone")
        elif family_size == 2 and min(ages) >= 60:
            tags.append("empty-nest")
        if resident.medical_history:
            tags.append("chronic-illness")
        for code, _name, _visits, share in names.TAGS:
            if share is None:
                continue
            if code == "working-away" and not 18 <= age <= 55:
                continue
            if rng.random() < share:
                tags.append(code)
        return tags

    def _given_name(self) -> str:
        return "".join(self.rng.choices(names.GIVEN_NAME_CHARS, k=self.rng.choice([1, 2, 2])))

    def _id_number(self, birth_date: dt.date, sex: str) -> str:
        rng = self.rng
        while True:
            region = rng.choice(names.REGION_CODES)
            sex_digit = rng.randrange(1 if sex == MALE else 0, 10, 2)
            first_17 = f"{region}{birth_date:%Y%m%d}{rng.randint(0, 99):02d}{sex_digit}"
            id_number = first_17 + id_number_check_char(first_17)
            if id_number not in self.used_id_numbers:
                self.used_id_numbers.add(id_number)
                return id_number

    def _phone(self, age: int) -> str:
        rng = self.rng
        if age < 12 or rng.random() < 0.05:
            return ""
        if age >= 70 and rng.random() < 0.3:
            return f"0433-{rng.randint(2000000, 3999999)}"
        return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"

    @property
    def _first_day(self) -> dt.date:
        """The first day the city is written on: the eve of its past, or today."""
        return self.window_start - dt.timedelta(days=1) if self.has_past else self.today

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.tz)

    def _moment(self, day: dt.date) -> dt.datetime:
        time = dt.time(self.rng.randint(8, 18), self.rng.randint(0, 59))
        return dt.datetime.combine(day, time, tzinfo=self.tz)

    # --- writing ------------------------------------------------------------------------

    def _insert(self, rows: list, at: dt.datetime | None = None) -> list:
        return services.rows_bulk_create(
            rows=rows,
            actor=self.actor,
            reason=self.reason,
            batch_size=BATCH_SIZE,
            at=at or self.eve,
        )

    def _flush(self) -> None:
        if not self._pending:
            return
        buildings = self._insert([b for _grid, bs, _hs, _ps in self._pending for b in bs])
        for _grid, bs, hs, _ps in self._pending:
            for building, places in zip(bs, hs, strict=True):
                for household in places:
                    household.building = building
        self._insert([h for _grid, _bs, hs, _ps in self._pending for places in hs for h in places])
        people = [person for _grid, _bs, _hs, ps in self._pending for person in ps]
        settled = []
        for household, resident, tags, arrival in people:
            resident.household = household
            tag_ids = {self.tags[code].pk for code in tags}
            if arrival is None:
                settled.append((resident, tag_ids))
            else:
                self.arrivals[arrival].append((resident, tag_ids))
        services.residents_bulk_create(
            residents=[r for r, _t in settled],
            tag_ids=[t for _r, t in settled],
            actor=self.actor,
            reason=self.reason,
            batch_size=BATCH_SIZE,
            at=self.eve,
        )
        if self.has_past:
            for resident, tag_ids in settled:
                self._plan_changes(resident, tag_ids)
        visits = [v for grid, _bs, _hs, ps in self._pending for v in self._visits(grid, ps)]
        if self.has_past:
            for visit in visits:
                self.visits_of_day[timezone.localdate(visit.visited_at)].append(visit)
        else:
            self._insert(visits)
        counts = self.summary.counts
        counts["buildings"] += len(buildings)
        counts["households"] += sum(len(p) for _g, _b, hs, _p in self._pending for p in hs)
        counts["residents"] += len(people)
        counts["visits"] += len(visits)
        self._pending, self._pending_residents = [], 0

    def _visits(self, grid: Grid, people: list) -> list[Visit]:
        """Visits over the last few months: households with tagged residents get their due visits
        most months; about one in eight other households is visited in a month."""
        rng = self.rng
        members = self.members_by_grid[grid.pk]
        needs: dict[int, tuple[Household, int, dt.date | None]] = {}
        for household, _resident, tags, arrival in people:
            due = max((self.tags[c].needs_visits_per_month for c in tags), default=0)
            current = needs.get(id(household), (household, 0, arrival))[1]
            needs[id(household)] = (household, max(due, current), arrival)
        visits = []
        months = self.size.history_months + 1 if self.has_past else VISIT_MONTHS
        for back in range(months):
            start = months_back(self.today, back)
            if self.has_past:  # the past only: nothing is logged later today yet
                days = (self.today - start).days if back == 0 else 28
            else:
                days = (self.today - start).days + 1 if back == 0 else 28
            if days <= 0:
                continue
            for household, due, arrival in needs.values():
                count = due if due and rng.random() < 0.8 else int(rng.random() < OTHER_VISITS)
                for _ in range(count):
                    day = start + dt.timedelta(days=rng.randrange(days))
                    if arrival is not None and day < arrival:
                        continue  # nobody lived there yet
                    located = self._at_the_door(household) if rng.random() < 0.7 else None
                    visits.append(
                        Visit(
                            grid_member_id=rng.choice(members),
                            household=household,
                            visited_at=self._visit_moment(day),
                            latitude=located.latitude if located else None,
                            longitude=located.longitude if located else None,
                            note=rng.choice(names.VISIT_NOTES),
                        )
                    )
        return visits

    def _visit_moment(self, day: dt.date) -> dt.datetime:
        """When a visit is made: mostly on the grid member's morning round (9:00–9:44, when
        the demo's patrol rounds walk), now and then in the afternoon."""
        if self.rng.random() < VISITS_ON_MORNING_ROUND:
            minutes = 9 * 60 + self.rng.randrange(45)
        else:
            minutes = 14 * 60 + self.rng.randrange(180)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def _at_the_door(self, household: Household) -> LatLon:
        """Where the grid member's phone said they were: at the household's building, give
        or take the phone's error."""
        building = household.building
        here = LatLon(cast(Decimal, building.latitude), cast(Decimal, building.longitude))
        return moved(here, east=self.rng.gauss(0, GPS_ERROR), north=self.rng.gauss(0, GPS_ERROR))

    # --- the past -------------------------------------------------------------------------

    def _plan_changes(self, resident: Resident, tag_ids: set[int]) -> None:
        """What happens to a file that stood on the eve: verified once or twice (sometimes
        with a new phone number), and now and then its resident moves out."""
        if resident.residency_status not in Resident.ACTIVE_STATUSES or not self.window_days:
            return
        rng = self.rng
        days = []
        if rng.random() < VERIFIED_IN_WINDOW:
            days.append(rng.choice(self.window_days))
            if rng.random() < VERIFIED_TWICE:
                days.append(rng.choice(self.window_days))
        moving_out = rng.choice(self.window_days) if rng.random() < MOVING_OUT else None
        for day in sorted(set(days)):
            if moving_out is None or day < moving_out:
                self.changes[day].append((resident, "verified"))
        if moving_out is not None:
            self.changes[moving_out].append((resident, "moved out"))
        self.tag_ids_of[resident.pk] = tag_ids

    def _live_the_past(self) -> None:
        """Walk the window in time order, writing each event dated the day it happened.

        The days are written in stretches that end on each month's audit day, so an audit
        draws from the archive as it stood that day; within a stretch each kind of event is
        one bulk write with a moment per row (``at=``), a day at a time took four times as
        long. A file changed twice in a stretch is written in two rounds, oldest first.
        """
        audited = set()
        stretch: list[dt.date] = []
        for day in self.window_days:
            stretch.append(day)
            if day.day == AUDIT_DAY or day == self.window_days[-1]:
                self._write_stretch(stretch)
                stretch = []
            if day.day == AUDIT_DAY and self.monthly_audit:
                self.monthly_audit(day.replace(day=1), self._at(day, AUDIT_AT), self.rng)
                audited.add(day.replace(day=1))
        month = self.today.replace(day=1)
        if self.monthly_audit and month not in audited:
            # This month's audit has not reached its day yet: it ran this morning, so the
            # dashboard's six months each have a point.
            now = min(timezone.now(), self._at(self.today, dt.time(23, 59)))
            moment = max(now - dt.timedelta(hours=1), self._at(self.today, dt.time(0, 1)))
            self.monthly_audit(month, moment, self.rng)

    def _write_stretch(self, days: list[dt.date]) -> None:
        arrivals = [(day, r, t) for day in days for r, t in self.arrivals.pop(day, [])]
        if arrivals:
            services.residents_bulk_create(
                residents=[r for _d, r, _t in arrivals],
                tag_ids=[t for _d, _r, t in arrivals],
                actor=self.actor,
                reason=self.reason,
                batch_size=BATCH_SIZE,
                at=[self._at(day, ARRIVALS_AT) for day, _r, _t in arrivals],
            )
            moved_in = "residents who moved in during the past months"
            self.summary.counts[moved_in] = self.summary.counts.get(moved_in, 0) + len(arrivals)
        rounds: list[list[tuple[dt.date, Resident, str]]] = []
        seen: dict[int, int] = {}
        for day in days:
            for resident, what in self.changes.pop(day, []):
                n = seen.get(resident.pk, 0)
                seen[resident.pk] = n + 1
                if n == len(rounds):
                    rounds.append([])
                rounds[n].append((day, resident, what))
        for changes in rounds:
            self._change(changes)
        visits = [(day, v) for day in days for v in self.visits_of_day.pop(day, [])]
        if visits:
            services.rows_bulk_create(
                rows=[v for _d, v in visits],
                actor=self.actor,
                reason=self.reason,
                batch_size=BATCH_SIZE,
                at=[self._at(day, VISITS_LOGGED_AT) for day, _v in visits],
            )

    def _change(self, changes: list[tuple[dt.date, Resident, str]]) -> None:
        rng = self.rng
        for day, resident, what in changes:
            if what == "moved out":
                resident.residency_status = Resident.ResidencyStatus.MOVED_OUT
            else:
                resident.last_verified_at = self._moment(day)
                if resident.phone and rng.random() < PHONE_CHANGED:
                    resident.phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        services.residents_bulk_update(
            residents=[r for _d, r, _w in changes],
            tag_ids=[self.tag_ids_of[r.pk] for _d, r, _w in changes],
            actor=self.actor,
            reason=self.reason,
            at=[self._at(day, CHANGES_AT) for day, _r, _w in changes],
            fields=["residency_status", "last_verified_at", "phone"],
        )
