import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archives import services as archive_services
from archives.models import Resident
from audits import sampling, services
from audits.models import AuditCampaign, AuditItem, AuditStratum
from portal.roles import AUDITOR, GRID_MEMBER, roles_ensure
from tests import factories
from tests.audits.conftest import make_campaign

State = AuditCampaign.State


@pytest.fixture
def seeded(monkeypatch):
    """The draw's randomness from a seeded generator instead of the operating system."""
    rng = random.Random(2026)
    monkeypatch.setattr(sampling, "new_seed", lambda: rng.randbytes(sampling.SEED_BYTES))
    return rng


def sample_of(campaign) -> dict[str, list[str]]:
    items = AuditItem.objects.filter(campaign=campaign).select_related("stratum__grid", "resident")
    sample: dict[str, list[str]] = {}
    for item in items:
        sample.setdefault(item.stratum.grid.code, []).append(item.resident.name)
    return sample


def test_the_draw_takes_the_planned_number_from_each_grid_of_the_scope(audit_city):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    assert campaign.state == State.DRAWN
    assert {code: len(names) for code, names in sample_of(campaign).items()} == {"G1": 2, "G2": 2}
    assert campaign.population_size == 8 + 5  # the moved-out resident is not eligible
    assert len(campaign.seed) == 2 * sampling.SEED_BYTES
    assert campaign.algorithm_version == sampling.ALGORITHM_VERSION


def test_a_grid_smaller_than_the_sample_is_taken_whole_and_says_so(audit_city):
    campaign = make_campaign(audit_city, per_grid=6)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    stratum = AuditStratum.objects.get(campaign=campaign, grid=audit_city.grids["G2"])
    assert (stratum.population, stratum.planned, stratum.drawn, stratum.took_all) == (5, 6, 5, True)
    assert len(sample_of(campaign)["G1"]) == 6


def test_moved_out_and_deceased_residents_are_never_drawn(audit_city):
    campaign = make_campaign(audit_city, per_grid=100)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    assert "迁出者" not in sample_of(campaign)["G1"]


def test_the_same_seed_and_population_draw_the_same_sample(audit_city, monkeypatch):
    seed = random.Random(5).randbytes(sampling.SEED_BYTES)
    monkeypatch.setattr(sampling, "new_seed", lambda: seed)
    first = services.audit_campaign_draw(campaign=make_campaign(audit_city), actor=audit_city.lead)
    second = services.audit_campaign_draw(campaign=make_campaign(audit_city), actor=audit_city.lead)
    assert sample_of(first) == sample_of(second)
    assert first.population_sha256 == second.population_sha256


def test_a_different_seed_draws_a_different_sample(audit_city, seeded):
    samples = [
        sample_of(
            services.audit_campaign_draw(
                campaign=make_campaign(audit_city, per_grid=3), actor=audit_city.lead
            )
        )
        for _ in range(3)
    ]
    assert len({str(sample) for sample in samples}) > 1


def test_the_draw_verifies_and_tampering_with_items_or_population_shows(audit_city, seeded):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    assert services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor).ok

    drawn = set(AuditItem.objects.filter(campaign=campaign).values_list("resident_id", flat=True))
    undrawn = next(r for r in audit_city.residents["G1"] if r.pk not in drawn)
    item = AuditItem.objects.filter(campaign=campaign, stratum__grid=audit_city.grids["G1"]).first()
    AuditItem.objects.filter(pk=item.pk).update(resident=undrawn)
    check = services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor)
    assert not check.ok and "不一致" in check.problems[0]

    AuditItem.objects.filter(pk=item.pk).update(resident=item.resident)
    population = sampling.population_unpack(bytes(campaign.population))
    population[audit_city.grids["G1"].pk].pop()
    campaign.population = sampling.population_pack(population)
    campaign.save()
    check = services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor)
    assert not check.ok and "SHA-256" in check.problems[0]


def test_a_drawn_campaign_cannot_be_drawn_again(audit_city):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    seed = campaign.seed
    with pytest.raises(ValidationError):
        services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    campaign.refresh_from_db()
    assert campaign.seed == seed and campaign.items.count() == 4


def test_a_cancelled_campaign_keeps_its_draw_visible_and_cannot_be_redrawn(audit_city):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    with pytest.raises(ValidationError):
        services.audit_campaign_cancel(campaign=campaign, actor=audit_city.lead, reason="  ")
    services.audit_campaign_cancel(campaign=campaign, actor=audit_city.lead, reason="wrong month")
    campaign.refresh_from_db()
    assert (campaign.state, campaign.cancel_reason) == (State.CANCELLED, "wrong month")
    assert campaign.items.count() == 4 and campaign.seed
    with pytest.raises(ValidationError):
        services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)


def test_each_item_pins_the_file_version_of_draw_time_and_keeps_it_after_edits(audit_city):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    item = campaign.items.select_related("resident", "pinned_record").first()
    recorded_name = item.resident.name
    assert item.pinned_record.history_id == item.resident.history.latest().history_id
    resident = Resident.objects.get(pk=item.resident_id)
    resident.name = "改后的名字"
    archive_services.resident_save(resident=resident, actor=audit_city.clerk, reason="later edit")
    item.refresh_from_db()
    assert item.pinned_record.name == recorded_name
    assert resident.history.latest().name == "改后的名字"


def test_the_draw_reads_no_random_order_from_the_database(audit_city):
    campaign = make_campaign(audit_city)
    with CaptureQueriesContext(connection) as queries:
        services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    assert not any("RANDOM" in q["sql"].upper() for q in queries.captured_queries)


def test_a_scope_without_active_residents_is_refused_and_nothing_is_drawn(audit_city):
    empty = factories.make_grid(code="G9", street_code="S1")
    campaign = make_campaign(audit_city, grids=[empty])
    with pytest.raises(ValidationError, match="没有在册居民"):
        services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT and not campaign.seed
    assert not AuditStratum.objects.exists() and not AuditItem.objects.exists()


def test_an_auditor_who_maintains_a_grid_in_scope_cannot_be_assigned(audit_city):
    audit_city.grids["G1"].members.add(audit_city.auditor)
    with pytest.raises(ValidationError, match="负责本范围内"):
        make_campaign(audit_city)
    assert not AuditCampaign.objects.exists()


def test_an_auditor_with_edit_rights_in_scope_cannot_be_assigned(audit_city):
    both = factories.make_user("auditing-clerk", role=AUDITOR)
    both.groups.add(roles_ensure()[GRID_MEMBER])
    factories.grant(both, audit_city.grids["G2"])  # edit rights, though not a member
    with pytest.raises(ValidationError, match="负责本范围内"):
        make_campaign(audit_city, auditors=[both])


def test_a_scope_outside_the_creators_grants_is_refused(audit_city):
    with pytest.raises(PermissionDenied):
        make_campaign(audit_city, streets=[audit_city.grids["G3"].community.street])
    assert not AuditCampaign.objects.exists()


def test_an_lqas_plan_too_small_for_its_benchmark_is_refused_with_the_size_that_would_do(
    audit_city,
):
    with pytest.raises(ValidationError, match="最小可行样本量为 19"):
        make_campaign(audit_city, plan=AuditCampaign.Plan.LQAS, per_grid=5, lqas_benchmark=80)


def test_an_lqas_draw_records_the_decision_rule_of_each_grid(audit_city):
    campaign = make_campaign(
        audit_city, plan=AuditCampaign.Plan.LQAS, per_grid=19, lqas_benchmark=80
    )
    assert campaign.planned_lqas_correct_to_pass == 13
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    # Eight and five residents: each grid is checked whole, so it passes at 80% of itself.
    thresholds = dict(campaign.strata.values_list("grid__code", "lqas_correct_to_pass"))
    assert thresholds == {"G1": 7, "G2": 4}


def test_the_month_is_stored_as_its_first_day(audit_city):
    assert make_campaign(audit_city, period=dt.date(2026, 11, 23)).period == dt.date(2026, 11, 1)


def test_a_draw_made_with_the_current_algorithm_verifies(audit_city, seeded):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    assert campaign.algorithm_version == "strata-sha256-mt19937-sample/2"
    campaign.refresh_from_db()
    assert services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor).ok


def test_a_draw_stored_by_algorithm_version_1_still_verifies(audit_city, seeded):
    campaign = services.audit_campaign_draw(
        campaign=make_campaign(audit_city), actor=audit_city.lead
    )
    # What a campaign drawn before version 2 holds: the same sample, a text SHA-256 and the
    # first packing of the population.
    population = sampling.population_unpack(bytes(campaign.population))
    campaign.algorithm_version = sampling.ALGORITHM_VERSION_1
    campaign.population_sha256 = sampling.population_hash_v1(population)
    campaign.population = sampling.population_pack_v1(population)
    campaign.save()
    assert services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor).ok

    campaign.population_sha256 = sampling.population_hash(population)  # a version 2 hash
    campaign.save()
    check = services.audit_campaign_verify_draw(campaign=campaign, actor=audit_city.auditor)
    assert not check.ok and "SHA-256" in check.problems[0]


def test_the_draw_makes_as_many_queries_for_five_grids_as_for_two(audit_city):
    def queries_to_draw() -> int:
        campaign = make_campaign(audit_city)
        with CaptureQueriesContext(connection) as queries:
            services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
        return len(queries.captured_queries)

    two_grids = queries_to_draw()
    for code in ("G4", "G5", "G6"):
        grid = factories.make_grid(code=code, street_code="S1")
        grid.members.add(audit_city.clerk)
        for i in range(4):
            factories.make_resident(grid=grid, name=f"{code}居民{i}")
    # As on a new request: the lead's grants, read once per user object, now hold the new grids.
    audit_city.lead = type(audit_city.lead).objects.get(pk=audit_city.lead.pk)
    five_grids = queries_to_draw()
    assert AuditStratum.objects.filter(grid__code="G6").exists()
    assert five_grids == two_grids
