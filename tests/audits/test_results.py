import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits import selectors, services
from audits.models import AuditCampaign, AuditItem
from tests import factories
from tests.audits.conftest import all_correct, make_campaign

FieldMark = services.FieldMark
NOVEMBER = dt.date(2026, 11, 1)


def check_all(campaign, auditor, *, wrong_in: int = 0, not_found: int = 0, unchecked: int = 0):
    """Check the campaign's items in order: the first ``wrong_in`` with a wrong phone, the
    next ``not_found`` not found, the rest correct, leaving the last ``unchecked``."""
    items = list(campaign.items.order_by("pk"))
    for index, item in enumerate(items[: len(items) - unchecked]):
        marks = all_correct(campaign)
        if index < wrong_in:
            marks["phone"] = FieldMark("wrong", "13912345678")
        services.audit_item_record(
            item=item,
            actor=auditor,
            found=not (wrong_in <= index < wrong_in + not_found),
            marks=marks,
            satisfaction=4 if index % 2 else 5,
            method=AuditItem.Method.VISIT,
        )


def test_results_give_accuracy_completeness_and_satisfaction_per_grid_and_campaign(audit_city):
    campaign = make_campaign(audit_city, per_grid=4)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor, wrong_in=1)
    results = selectors.campaign_results(campaign)
    total = results.total
    assert (total.sampled, total.checked, total.found) == (8, 8, 8)
    assert (total.record_accuracy.successes, total.record_accuracy.total) == (7, 8)
    assert (total.field_accuracy.successes, total.field_accuracy.total) == (55, 56)
    assert total.completeness.value == 1.0
    assert total.satisfaction == 4.5
    low, high = total.record_accuracy.interval
    assert low < 7 / 8 < high
    per_grid = {grid.code: figures for grid, _stratum, figures in results.grids}
    assert per_grid["G1"].record_accuracy.value == 3 / 4  # items are ordered by grid
    assert per_grid["G2"].record_accuracy.value == 1.0


def test_results_per_grid_member_follow_the_members_at_draw_time(audit_city):
    campaign = make_campaign(audit_city, per_grid=2)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    audit_city.grids["G2"].members.add(audit_city.clerk)  # after the draw: not counted
    check_all(campaign, audit_city.auditor)
    members = selectors.campaign_results(campaign).members
    assert [(user.username, figures.sampled) for user, figures in members] == [("clerk", 2)]


def test_the_verification_factor_is_flagged_below_ninety_percent(audit_city):
    campaign = make_campaign(audit_city, per_grid=4)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor, not_found=1)
    results = selectors.campaign_results(campaign)
    assert results.total.verification_factor == 7 / 8
    assert results.total.verification_flagged
    per_grid = {grid.code: figures for grid, _stratum, figures in results.grids}
    assert per_grid["G2"].verification_factor == 1.0 and not per_grid["G2"].verification_flagged


def test_a_group_with_nothing_checked_has_no_rates_rather_than_zero(audit_city):
    campaign = make_campaign(audit_city)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    total = selectors.campaign_results(campaign).total
    assert total.sampled == 4
    assert total.record_accuracy.value is None and total.record_accuracy.interval is None
    assert total.verification_factor is None and total.satisfaction is None


@pytest.fixture
def lqas_city(audit_city):
    """Grid G1 grown to 30 residents, so that 19 are sampled rather than all."""
    for i in range(22):
        factories.make_resident(grid=audit_city.grids["G1"], name=f"新居民{i}")
    return audit_city


def test_lqas_passes_a_grid_at_the_threshold_and_fails_one_below(lqas_city):
    campaign = make_campaign(
        lqas_city,
        grids=[lqas_city.grids["G1"]],
        plan=AuditCampaign.Plan.LQAS,
        per_grid=19,
        lqas_benchmark=80,
    )
    services.audit_campaign_draw(campaign=campaign, actor=lqas_city.lead)
    check_all(campaign, lqas_city.auditor, wrong_in=6)  # 13 of 19 correct
    [(_grid, stratum, figures)] = selectors.campaign_results(campaign).grids
    assert (stratum.drawn, stratum.lqas_correct_to_pass, figures.lqas) == (19, 13, ["pass"])

    other = make_campaign(
        lqas_city,
        grids=[lqas_city.grids["G1"]],
        plan=AuditCampaign.Plan.LQAS,
        per_grid=19,
        lqas_benchmark=80,
    )
    services.audit_campaign_draw(campaign=other, actor=lqas_city.lead)
    check_all(other, lqas_city.auditor, wrong_in=7, unchecked=2)  # 10 correct, 2 to go
    [(_grid, _stratum, figures)] = selectors.campaign_results(other).grids
    assert figures.lqas == ["fail"]  # 12 at most: decided before the last two are checked


def test_lqas_is_pending_while_the_threshold_can_still_be_reached_either_way(lqas_city):
    campaign = make_campaign(
        lqas_city,
        grids=[lqas_city.grids["G1"]],
        plan=AuditCampaign.Plan.LQAS,
        per_grid=19,
        lqas_benchmark=80,
    )
    services.audit_campaign_draw(campaign=campaign, actor=lqas_city.lead)
    check_all(campaign, lqas_city.auditor, unchecked=10)  # 9 correct, 10 to go
    [(_grid, _stratum, figures)] = selectors.campaign_results(campaign).grids
    assert figures.lqas == ["pending"]


def test_monthly_figures_count_closed_campaigns_only_and_leave_unaudited_grids_out(audit_city):
    closed = make_campaign(audit_city, per_grid=2)
    services.audit_campaign_draw(campaign=closed, actor=audit_city.lead)
    check_all(closed, audit_city.auditor, wrong_in=1)
    services.audit_campaign_close(campaign=closed, actor=audit_city.lead)
    open_one = make_campaign(audit_city, per_grid=2)
    services.audit_campaign_draw(campaign=open_one, actor=audit_city.lead)
    check_all(open_one, audit_city.auditor)

    figures = selectors.grid_audit_figures(NOVEMBER, list(audit_city.grids.values()))
    g1, g2 = (audit_city.grids[code].pk for code in ("G1", "G2"))
    assert set(figures) == {g1, g2}  # G3 had no audit: absent, not zero
    assert figures[g1].record_accuracy.value == 0.5
    assert figures[g2].record_accuracy.value == 1.0
    assert selectors.grid_audit_figures(dt.date(2026, 10, 1), [g1]) == {}


def test_monthly_figures_take_the_same_queries_for_one_grid_or_many(audit_city):
    campaign = make_campaign(audit_city, per_grid=2)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor)
    services.audit_campaign_close(campaign=campaign, actor=audit_city.lead)
    counts = []
    for grids in ([audit_city.grids["G1"]], list(audit_city.grids.values())):
        with CaptureQueriesContext(connection) as queries:
            selectors.grid_audit_figures(NOVEMBER, grids)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


def test_results_of_a_closed_campaign_do_not_change_when_files_or_members_do(audit_city):
    campaign = make_campaign(audit_city, per_grid=2)
    services.audit_campaign_draw(campaign=campaign, actor=audit_city.lead)
    check_all(campaign, audit_city.auditor, wrong_in=1)
    services.audit_campaign_close(campaign=campaign, actor=audit_city.lead)
    before = selectors.campaign_results(campaign)
    finding = campaign.items.order_by("pk").first().findings.get(field="phone")
    services.audit_correction_apply(finding=finding, actor=audit_city.clerk)
    audit_city.grids["G1"].members.remove(audit_city.clerk)
    after = selectors.campaign_results(campaign)
    assert after.total == before.total
    assert [(u.pk, f) for u, f in after.members] == [(u.pk, f) for u, f in before.members]
