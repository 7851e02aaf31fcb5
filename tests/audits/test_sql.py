"""audits/sql.py: each function answers what a plain ORM or Python computation answers, on
whichever database the suite runs on (CI runs it on PostgreSQL and on SQLite, so both twins of
every function are checked)."""

from collections import defaultdict

from archives.models import Resident
from audits import sql
from audits.models import AuditItem, AuditStratum
from tests.audits.conftest import make_campaign


def test_resident_ids_per_grid_are_the_residents_grouped_by_grid_in_id_order(audit_city):
    residents = Resident.objects.filter(residency_status__in=Resident.ACTIVE_STATUSES)
    expected = defaultdict(list)
    for resident in sorted(residents, key=lambda r: r.pk):
        expected[resident.household.building.grid_id].append(resident.pk)

    assert sql.resident_ids_per_grid(residents) == expected
    one_grid = residents.filter(household__building__grid=audit_city.grids["G2"])
    assert sql.resident_ids_per_grid(one_grid) == {
        audit_city.grids["G2"].pk: expected[audit_city.grids["G2"].pk]
    }


def test_audit_items_insert_keeps_the_order_and_pins_each_residents_latest_entry(audit_city):
    campaign = make_campaign(audit_city)
    g1, g2 = audit_city.grids["G1"], audit_city.grids["G2"]
    strata = {
        grid.pk: AuditStratum.objects.create(
            campaign=campaign, grid=grid, population=1, planned=1, drawn=1
        )
        for grid in (g1, g2)
    }
    edited = audit_city.residents["G1"][1]
    edited.phone = "13700000000"
    edited.save()  # a newer history entry than its creation
    chosen = [*audit_city.residents["G2"][:2], *audit_city.residents["G1"][:2]]
    drawn = [(strata[r.household.building.grid_id].pk, r.pk) for r in chosen]

    sql.audit_items_insert(campaign, drawn)

    items = AuditItem.objects.filter(campaign=campaign).order_by("pk")
    assert [(i.stratum_id, i.resident_id) for i in items] == drawn
    for item in items:
        latest = Resident.history.filter(id=item.resident_id).order_by(
            "-history_date", "-history_id"
        )[0]
        assert item.pinned_record_id == latest.history_id
        assert item.verdict == AuditItem._meta.get_field("verdict").get_default()
