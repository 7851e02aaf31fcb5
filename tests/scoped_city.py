"""A small city with one account per role and grants at every level, plus the expected answer to
"who sees what" written out by hand, independent of ``archives.scope``.

    street SA ── community CA1 ── grids GA1a, GA1b
              └─ community CA2 ── grid GA2a
    street SB ── community CB1 ── grid GB1a

Each grid holds one building, one household, one resident and one visit. The residents of GA2a
and GB1a carry the "chronic illness" tag that the health department serves in street SA only;
the resident of GA1a is elderly living alone, which health does not serve.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from archives.models import Community, Department, Grid, Resident, Street, Visit
from portal.roles import (
    AUDITOR,
    COMMUNITY_STAFF,
    DEPARTMENT_STAFF,
    GRID_MEMBER,
    MUNICIPAL_OFFICIAL,
    STREET_OFFICIAL,
    VOLUNTEER,
)
from tests import factories

GRID_CODES = ["GA1a", "GA1b", "GA2a", "GB1a"]
SERVED_BY_HEALTH = {"GA2a", "GB1a"}  # residents carrying the chronic illness tag

# Role of each account, and the grids its street, community or grid grants cover.
ACCOUNTS = {
    "clerk": (GRID_MEMBER, {"GA1a"}),
    "team": (GRID_MEMBER, {"GA1b"}),  # through a grant to their group, not to them
    "community": (COMMUNITY_STAFF, {"GA1a", "GA1b"}),
    "street": (STREET_OFFICIAL, {"GA1a", "GA1b", "GA2a"}),
    "department": (DEPARTMENT_STAFF, set()),
    "auditor": (AUDITOR, {"GB1a"}),
    "official": (MUNICIPAL_OFFICIAL, set(GRID_CODES)),
    "nobody": (GRID_MEMBER, set()),  # a role and no grant
    # An approved volunteer of community CA1 (``build_wishes``): the board and their own
    # claims, nothing of the archive.
    "volunteer": (VOLUNTEER, set()),
}
WRITERS = {"clerk", "team", "community", "street"}
#: What the health department's grant shows: its area (street SA) and its residents there.
DEPARTMENT_AREA = {"GA1a", "GA1b", "GA2a"}
DEPARTMENT_RESIDENTS = {"GA2a"}


@dataclass
class City:
    users: dict = field(default_factory=dict)
    grids: dict = field(default_factory=dict)
    residents: dict = field(default_factory=dict)
    streets: dict = field(default_factory=dict)
    communities: dict = field(default_factory=dict)
    health: Department | None = None
    civil_affairs: Department | None = None
    team: Group | None = None


def build_city() -> City:
    city = City()
    city.streets = {
        code: Street.objects.create(code=code, name=f"{code}街道") for code in ("SA", "SB")
    }
    city.communities = {
        code: Community.objects.create(code=code, name=f"{code}社区", street=city.streets[s])
        for code, s in (("CA1", "SA"), ("CA2", "SA"), ("CB1", "SB"))
    }
    chronic = factories.make_tag("chronic-illness", "慢性病")
    elderly = factories.make_tag("elderly-alone", "独居老人")
    for index, code in enumerate(GRID_CODES):
        community = city.communities[f"C{code[1:3]}"]
        grid = Grid.objects.create(code=code, name=f"{code}网格", community=community)
        building = factories.make_building(grid=grid, address=f"{code}路1号")
        household = factories.make_household(building=building)
        resident = factories.make_resident(
            household=household,
            name=f"居民{code}",
            birth_date=dt.date(1950 + index, 3, 14),
            medical_history=f"病史{code}",
        )
        factories.add_tags(resident, chronic if code in SERVED_BY_HEALTH else elderly)
        city.grids[code] = grid
        city.residents[code] = resident

    city.health = Department.objects.create(
        code="health", name="卫健局", shares_medical_history=True
    )
    city.health.streets.add(city.streets["SA"])
    city.health.served_tags.add(chronic)
    city.civil_affairs = Department.objects.create(
        code="civil", name="民政局", serves_whole_city=True
    )
    city.civil_affairs.served_tags.add(elderly)

    for username, (role, _grids) in ACCOUNTS.items():
        city.users[username] = factories.make_user(username, role=role)
    factories.grant(city.users["clerk"], city.grids["GA1a"])
    factories.grant(city.users["community"], city.communities["CA1"])
    factories.grant(city.users["street"], city.streets["SA"])
    factories.grant(city.users["department"], city.health)
    factories.grant(city.users["auditor"], city.streets["SB"])
    city.team = Group.objects.create(name="GA1b team")
    city.users["team"].groups.add(city.team)
    factories.grant(city.team, city.grids["GA1b"])

    for code, grid in city.grids.items():
        member = city.users["team" if code == "GA1b" else "clerk"]
        grid.members.add(member)
        Visit.objects.create(
            grid_member=member,
            household=city.residents[code].household,
            visited_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
            note=f"走访{code}",
        )
    return city


# The expected answers ------------------------------------------------------------------------


def grids_seen(username: str) -> set[str]:
    """Grids whose org units (grid, community, street) the account may see."""
    grids = set(ACCOUNTS[username][1])
    if username == "department":
        grids |= DEPARTMENT_AREA
    return grids


def archive_grids_seen(username: str, model_name: str) -> set[str]:
    """Grids whose rows of ``model_name`` (building, household, resident, visit) it may see."""
    if username == "auditor":
        return set()  # least privilege: auditors see sampled residents in the audit tool only
    if model_name == "visit" and username == "department":
        return set()  # the role does not read visits
    grids = set(ACCOUNTS[username][1])
    if username == "department" and model_name != "visit":
        grids |= DEPARTMENT_RESIDENTS
    return grids


def grids_written(username: str) -> set[str]:
    return set(ACCOUNTS[username][1]) if username in WRITERS else set()


def reads_id_number(username: str, resident: Resident) -> bool:
    return username in WRITERS and _grid_code(resident) in ACCOUNTS[username][1]


def reads_medical_history(username: str, resident: Resident) -> bool:
    code = _grid_code(resident)
    if username == "department":
        return code in DEPARTMENT_RESIDENTS
    return reads_id_number(username, resident)


def departments_seen(username: str) -> set[str]:
    return {"official": {"health", "civil"}, "department": {"health"}}.get(username, set())


def _grid_code(resident: Resident) -> str:
    return resident.household.building.grid.code


# Events (built only where asked: the leak matrix) --------------------------------------------

#: Where each event of ``build_events`` stands: GA1a's transferred to health (with its
#: building), GA1b's red at its community, GB1a's outside every account but the city's.
EVENT_GRIDS = ["GA1a", "GA1b", "GB1a"]
#: (account, event's grid) pairs where accepting the event is the account's step to take.
EVENT_ACCEPTED_BY = {("department", "GA1a"), ("community", "GA1b")}


def build_events(city: City) -> dict:
    """One event in each of ``EVENT_GRIDS``, reported and moved by the administrator."""
    from django.contrib.auth import get_user_model

    from archives.models import Building
    from events.models import EventCategory
    from events.services import event_pass_up, event_report, event_transfer

    admin = get_user_model().objects.filter(is_superuser=True).get()
    category = EventCategory.objects.create(code="matrix", name="占道经营")
    category.departments.set([city.health])
    events = {}
    for code in EVENT_GRIDS:
        grid = city.grids[code]
        events[code] = event_report(
            actor=admin,
            category=category,
            grid=grid,
            description=f"事件{code}",
            building=Building.objects.get(grid=grid) if code == "GA1a" else None,
        )
    event_pass_up(actor=admin, event=events["GA1a"])
    event_transfer(actor=admin, event=events["GA1a"], department=city.health)
    return events


def events_seen(username: str) -> set[str]:
    """The grids of ``build_events``' events the account sees: those of its area, and the one
    transferred to its department."""
    if username == "department":
        return {"GA1a"}
    if username == "auditor":
        return set()  # the role reads no events
    return set(ACCOUNTS[username][1]) & set(EVENT_GRIDS)


def event_departments_seen(username: str) -> set[str]:
    """Departments an account learns the name of from the events it sees: the one GA1a's
    event was transferred to (the reporter sees every step of the chain)."""
    return {"health"} if "GA1a" in events_seen(username) else set()


# Micro-wishes (built only where asked: the leak matrix) ---------------------------------------

#: Communities of ``build_wishes``' claimers and wishes: one of each per community.
WISH_COMMUNITIES = ["CA1", "CA2", "CB1"]
#: Who approves volunteers where (their community grants): CA1's staff.
CLAIMERS_DECIDED_BY = {("community", "CA1")}


def build_wishes(city: City) -> dict:
    """In each of ``WISH_COMMUNITIES``: a volunteer waiting for approval (``报名人<code>``,
    phone 1390000000<n>) and a wish that came from the community's first resident
    (``心愿<code>``); the ``volunteer`` account is an approved claimer of CA1 and has claimed
    CA2's wish (outside its community: the board is the whole city's)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from wishes.models import Claim, Claimer, ClaimerKind, ClaimerStatus, Wish, WishCategory
    from wishes.services.claimers import claimer_sign_up

    admin = get_user_model().objects.filter(is_superuser=True).get()
    now = timezone.now()
    category = WishCategory.objects.create(code="matrix", name="助老服务", points=8)
    volunteer = Claimer.objects.create(
        user=city.users["volunteer"],
        kind=ClaimerKind.VOLUNTEER,
        name="志愿者本人",
        phone="13700000000",
        community=city.communities["CA1"],
        status=ClaimerStatus.APPROVED,
        phone_verified_at=now,
        signed_up_at=now,
        decided_at=now,
        decided_by=admin,
    )
    made: dict = {"volunteer": volunteer, "sign_ups": {}, "wishes": {}}
    for n, code in enumerate(WISH_COMMUNITIES):
        community = city.communities[code]
        made["sign_ups"][code] = claimer_sign_up(
            name=f"报名人{code}",
            phone=f"1390000000{n}",
            community=community,
            skills="理发",
            username=f"sign-up-{code.lower()}",
            password="lanterns-over-the-river",
        )
        resident = city.residents[f"G{code[1:]}a"]
        made["wishes"][code] = Wish.objects.create(
            title=f"心愿{code}",
            description="修理自行车棚，更换两块挡雨板",
            community=community,
            resident=resident,
            category=category,
            place=f"{code}小区3号楼",
            wanted_by=(now + dt.timedelta(days=10)).date(),
            posted_by=admin,
            posted_at=now,
        )
    claimed = made["wishes"]["CA2"]
    claimed.state = "claimed"
    claimed.claimed_at = now
    claimed.save()
    Claim.objects.create(wish=claimed, claimer=volunteer, claimed_at=now)
    return made


def claimers_seen(username: str) -> set[str]:
    """Communities whose claimers (and sign-ups) the account sees: those of its community and
    street grants, every one for the city; claimers see no list of claimers."""
    if username in ("community", "street", "official"):
        grids = set(ACCOUNTS[username][1])
        return {c for c in WISH_COMMUNITIES if any(g[1:3] == c[1:] for g in grids)}
    return set()


def wishes_seen(username: str) -> set[str]:
    """Communities whose wish of ``build_wishes`` the account sees: its area's; for the
    volunteer, the open wishes of the board (CA1, CB1) and the one it claimed (CA2)."""
    if username == "volunteer":
        return set(WISH_COMMUNITIES)
    return claimers_seen(username)
