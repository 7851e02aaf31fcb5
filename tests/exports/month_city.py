"""A small city with known history for October 2026, and what its report must say.

Two streets. S1 holds grids G1 and G2 in October; G3 is in S2. Before October: G1 has two
households (H1: 甲 elderly living alone, verified in June, and 乙 with no phone; H2: 丙, verified
long ago), G2 one household (H3: 丁 elderly living alone, verified 5 October), G3 one (H4: 戊).
In October: 己 moves into H2, 丙 moves out, 甲's phone is corrected, H1 is visited twice and H3
once, a closed audit of G1 finds one record right and one wrong. After October (the report is
computed in December): G2 is redrawn into street S2, 甲 moves out, 庚 moves in, a visit dated
30 October is logged in November: none of it may change October's figures.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from archives.models import Community, Grid, Resident, Tag, Visit
from audits.models import AuditCampaign, AuditItem, AuditStratum
from portal.roles import GRID_MEMBER
from tests import factories

ZONE = ZoneInfo("Asia/Shanghai")
OCTOBER = dt.date(2026, 10, 1)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE)


@dataclass
class MonthCity:
    grids: dict[str, Grid]
    clerks: dict[str, object]


def build_month_city() -> MonthCity:
    with time_machine.travel(at(9, 10), tick=False):
        elderly = Tag.objects.create(
            code="elderly-alone", name="独居老人", needs_visits_per_month=2
        )
        grids = {
            "G1": factories.make_grid(code="G1", street_code="S1"),
            "G2": factories.make_grid(code="G2", street_code="S1"),
            "G3": factories.make_grid(code="G3", street_code="S2"),
        }
        grids["G1"].name = "青松网格"
        grids["G1"].save()
        clerks = {
            code: factories.make_user(f"clerk-{code}", role=GRID_MEMBER) for code in ("G1", "G2")
        }
        clerks["G1"].first_name = "晓彤"
        clerks["G1"].last_name = "刘"
        clerks["G1"].save()
        for code, clerk in clerks.items():
            grids[code].members.add(clerk)
        building = factories.make_building(grid=grids["G1"])
        h1 = factories.make_household(building=building)
        h2 = factories.make_household(building=building)
        h3 = factories.make_household(grid=grids["G2"])
        h4 = factories.make_household(grid=grids["G3"])
        jia = factories.make_resident(household=h1, name="甲", last_verified_at=at(6, 1))
        jia.tags.add(elderly)
        factories.make_resident(household=h1, name="乙", phone="")
        bing = factories.make_resident(household=h2, name="丙", last_verified_at=at(1, 1))
        ding = factories.make_resident(household=h3, name="丁", last_verified_at=at(10, 5))
        ding.tags.add(elderly)
        factories.make_resident(household=h4, name="戊")
    with time_machine.travel(at(9, 30), tick=False):
        Visit.objects.create(grid_member=clerks["G2"], household=h4, visited_at=at(9, 30))

    with time_machine.travel(at(10, 3), tick=False):
        Visit.objects.create(grid_member=clerks["G1"], household=h1, visited_at=at(10, 3))
    with time_machine.travel(at(10, 4), tick=False):
        Visit.objects.create(grid_member=clerks["G2"], household=h3, visited_at=at(10, 4))
    with time_machine.travel(at(10, 12), tick=False):
        jia.phone = "13900001111"
        jia.save()
    with time_machine.travel(at(10, 15), tick=False):
        factories.make_resident(household=h2, name="己")
    with time_machine.travel(at(10, 20), tick=False):
        bing.residency_status = Resident.ResidencyStatus.MOVED_OUT
        bing.save()
    # The last moment of October, local time.
    with time_machine.travel(dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=ZONE), tick=False):
        Visit.objects.create(grid_member=clerks["G1"], household=h1, visited_at=timezone.now())
    with time_machine.travel(at(10, 28), tick=False):
        _closed_audit_of(grids["G1"], [jia, bing], auditor=clerks["G2"])

    with time_machine.travel(at(11, 2), tick=False):
        Visit.objects.create(grid_member=clerks["G2"], household=h3, visited_at=at(10, 30))
        grids["G2"].community = Community.objects.get(code="S2-C1")
        grids["G2"].save()
        jia.residency_status = Resident.ResidencyStatus.MOVED_OUT
        jia.save()
        factories.make_resident(household=h1, name="庚")
    return MonthCity(grids=grids, clerks=clerks)


def _closed_audit_of(grid: Grid, residents: list[Resident], *, auditor) -> None:
    campaign = AuditCampaign.objects.create(
        name="十月抽查",
        period=OCTOBER,
        plan=AuditCampaign.Plan.FIXED,
        per_grid=2,
        created_by=auditor,
        state=AuditCampaign.State.CLOSED,
    )
    stratum = AuditStratum.objects.create(
        campaign=campaign, grid=grid, population=3, planned=2, drawn=2
    )
    findings = [
        (AuditItem.Verdict.CORRECT, 7, 0, 5),
        (AuditItem.Verdict.INCORRECT, 6, 1, 3),
    ]
    for resident, (verdict, right, wrong, satisfaction) in zip(residents, findings, strict=True):
        AuditItem.objects.create(
            campaign=campaign,
            stratum=stratum,
            resident=resident,
            checked_at=timezone.now(),
            found=True,
            verdict=verdict,
            fields_correct=right,
            fields_wrong=wrong,
            fields_present=9,
            fields_required=9,
            satisfaction=satisfaction,
        )
