"""A small city to audit: three grids of different sizes in two streets, an audit lead who
creates campaigns over street S1, an auditor from elsewhere, and a clerk who keeps grid G1."""

import datetime as dt
from dataclasses import dataclass, field

import pytest

from archives.models import Grid, Resident
from audits import services
from audits.models import AuditCampaign
from portal.roles import AUDITOR, GRID_MEMBER
from tests import factories

SIZES = {"G1": 8, "G2": 5, "G3": 3}


@dataclass
class AuditCity:
    grids: dict[str, Grid]
    residents: dict[str, list[Resident]]
    lead: object
    auditor: object
    clerk: object
    moved_out: Resident
    users: dict = field(default_factory=dict)


@pytest.fixture
def audit_city(db) -> AuditCity:
    grids = {
        "G1": factories.make_grid(code="G1", street_code="S1"),
        "G2": factories.make_grid(code="G2", street_code="S1"),
        "G3": factories.make_grid(code="G3", street_code="S2"),
    }
    residents = {
        code: [
            factories.make_resident(
                grid=grids[code], name=f"{code}居民{i}", birth_date=dt.date(1950 + i, 1, 2)
            )
            for i in range(size)
        ]
        for code, size in SIZES.items()
    }
    moved_out = factories.make_resident(
        grid=grids["G1"], name="迁出者", residency_status=Resident.ResidencyStatus.MOVED_OUT
    )
    lead = factories.make_user("lead", role=AUDITOR)
    factories.grant(lead, grids["G1"].community.street)
    auditor = factories.make_user("auditor", role=AUDITOR)
    factories.grant(auditor, grids["G3"].community.street)  # works in S2, audits S1
    clerk = factories.make_user("clerk", role=GRID_MEMBER)
    factories.grant(clerk, grids["G1"])
    grids["G1"].members.add(clerk)
    return AuditCity(
        grids=grids,
        residents=residents,
        lead=lead,
        auditor=auditor,
        clerk=clerk,
        moved_out=moved_out,
    )


def make_campaign(audit_city: AuditCity, **fields) -> AuditCampaign:
    """A draft over street S1 (grids G1 and G2), two per grid, by the lead, for the auditor."""
    grids = fields.pop("grids", None)
    streets = fields.pop("streets", None)
    if grids is None and streets is None:
        streets = [audit_city.grids["G1"].community.street]
    auditors = fields.pop("auditors", [audit_city.auditor])
    actor = fields.pop("actor", audit_city.lead)
    fields.setdefault("name", "十一月抽查")
    fields.setdefault("period", dt.date(2026, 11, 5))
    fields.setdefault("plan", AuditCampaign.Plan.FIXED)
    fields.setdefault("per_grid", 2)
    return services.audit_campaign_save(
        campaign=AuditCampaign(**fields),
        actor=actor,
        streets=streets or [],
        grids=grids or [],
        auditors=auditors,
    )


def all_correct(campaign: AuditCampaign) -> dict:
    return {code: services.FieldMark("correct") for code in campaign.audited_fields}
