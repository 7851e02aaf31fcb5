"""Small builders for test data: valid by default, every field overridable."""

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import time_machine
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from archives.demo.city import CitySize, demo_city_seed
from archives.models import Building, Community, Grid, Household, Resident, Street, Tag
from archives.scope import grant_codename
from archives.validators import FEMALE, id_number_check_char
from audits.demo import monthly_audit
from portal.demo import demo_roles
from portal.roles import roles_ensure

_sequence = itertools.count(1)


def id_number_for(birth_date: dt.date, sex: str, *, region: str = "222405") -> str:
    """A valid ID number for a person born on ``birth_date``; unique within a test run."""
    n = next(_sequence) % 500
    sex_digit = n % 5 * 2 + (0 if sex == FEMALE else 1)
    first_17 = f"{region}{birth_date:%Y%m%d}{n // 5:02d}{sex_digit}"
    return first_17 + id_number_check_char(first_17)


def make_user(username: str, *, role: str | None = None, superuser: bool = False):
    user = get_user_model().objects.create_user(
        username=username, password="pw", is_staff=True, is_superuser=superuser
    )
    if role:
        user.groups.add(roles_ensure()[role])
    return user


def grant(who, unit) -> None:
    """Grant a user or group access to a street, community, grid or department."""
    assign_perm(f"archives.{grant_codename(type(unit))}", who, unit)


def make_grid(*, code: str | None = None, street_code: str = "S1") -> Grid:
    code = code or f"G{next(_sequence)}"
    street, _ = Street.objects.get_or_create(
        code=street_code, defaults={"name": f"{street_code}街道"}
    )
    community, _ = Community.objects.get_or_create(
        code=f"{street_code}-C1", defaults={"name": f"{street_code}社区", "street": street}
    )
    return Grid.objects.create(code=code, name=f"{code}网格", community=community)


def make_building(*, grid: Grid, address: str | None = None) -> Building:
    return Building.objects.create(
        grid=grid, address=address or f"{grid.code}路{next(_sequence)}号", units=3, floors=6
    )


def make_household(*, grid: Grid | None = None, building: Building | None = None) -> Household:
    building = building or make_building(grid=grid or make_grid())
    room = next(_sequence) % 2 + 1
    floor = next(_sequence) % 6 + 1
    return Household.objects.create(
        building=building, unit=next(_sequence) % 3 + 1, floor=floor, room=f"{floor}0{room}"
    )


def make_resident(
    *,
    grid: Grid | None = None,
    household: Household | None = None,
    name: str = "李明",
    birth_date: dt.date = dt.date(1956, 3, 14),
    sex: str = FEMALE,
    **fields,
) -> Resident:
    household = household or make_household(grid=grid)
    fields.setdefault("id_number", id_number_for(birth_date, sex))
    fields.setdefault("phone", "13943321234")
    return Resident.objects.create(
        household=household, name=name, birth_date=birth_date, sex=sex, **fields
    )


def make_tag(code: str = "elderly-alone", name: str = "独居老人") -> Tag:
    return Tag.objects.get_or_create(code=code, defaults={"name": name})[0]


def add_tags(resident: Resident, *tags: Tag) -> None:
    """Give ``resident`` these tags as the services would, the tags kept on its household
    included (``archives.services.household_tags``), without a history entry."""
    from archives.services.household_tags import household_tags_refresh

    resident.tags.add(*tags)
    household_tags_refresh(household_ids=[resident.household_id])


def make_drawn_campaign(*, street: Street, auditor, actor, per_grid: int = 1):
    """A campaign over ``street`` audited by ``auditor``, saved and drawn by ``actor`` (who
    must manage it, e.g. an administrator)."""
    from audits import services
    from audits.models import AuditCampaign

    campaign = services.audit_campaign_save(
        campaign=AuditCampaign(
            name="十一月抽查", period=dt.date(2026, 11, 1), plan="fixed", per_grid=per_grid
        ),
        actor=actor,
        streets=[street],
        auditors=[auditor],
    )
    services.audit_campaign_draw(campaign=campaign, actor=actor)
    return campaign


@contextmanager
def demo_city_on(today: dt.date, now: dt.datetime, size: CitySize) -> Iterator[None]:
    """The demo city with its past and its accounts, seeded on ``today``; the clock stays at
    ``now`` until the block ends."""
    with time_machine.travel(now, tick=False):
        demo_city_seed(
            seed=5, size=size, today=today, monthly_audit=monthly_audit, roles=demo_roles()
        )
        yield
