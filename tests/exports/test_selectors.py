import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives.models import Street, Visit
from exports.selectors import month_figures
from patrols.models import Patrol, PatrolBuilding, TrackPoint
from tests import factories
from tests.exports.month_city import OCTOBER, ZONE, build_month_city

DECEMBER = dt.datetime(2026, 12, 3, 9, tzinfo=ZONE)


@pytest.fixture
def october(db):
    city = build_month_city()
    with time_machine.travel(DECEMBER, tick=False):
        return month_figures(OCTOBER), city


def _by_code(figures):
    return {row.code: row for row in figures.grids}


def test_it_counts_records_held_and_changes_as_at_the_end_of_october(october):
    figures, _city = october
    g1, g2, g3 = (_by_code(figures)[code].counts for code in ("G1", "G2", "G3"))
    # 甲, 乙, 己 active; 丙 moved out in October; 甲 moving out and 庚 in November don't count.
    assert (g1.residents, g1.households, g1.buildings) == (3, 2, 1)
    assert (g1.new, g1.moved_out, g1.updated) == (1, 1, 2)  # 己; 丙; 甲 and 丙
    assert (g2.residents, g2.households, g2.buildings) == (1, 1, 1)
    assert (g2.new, g2.moved_out, g2.updated) == (0, 0, 0)
    assert (g3.residents, g3.households, g3.buildings) == (1, 1, 1)


def test_it_computes_completeness_and_timeliness_from_month_end_files(october):
    figures, _city = october
    g1, g2, g3 = (_by_code(figures)[code].counts for code in ("G1", "G2", "G3"))
    assert (g1.complete, g1.verified_recently) == (2, 1)  # 乙 has no phone; only 甲 verified
    assert g1.completeness.value == pytest.approx(2 / 3)
    assert g1.timeliness.value == pytest.approx(1 / 3)
    assert (g2.completeness.value, g2.timeliness.value) == (1, 1)
    assert (g3.completeness.value, g3.timeliness.value) == (1, 0)


def test_it_counts_visits_and_coverage_of_households_that_need_them(october):
    figures, _city = october
    g1, g2, g3 = (_by_code(figures)[code].counts for code in ("G1", "G2", "G3"))
    # H1 visited on 3 October and at the month's last second: twice, as 独居老人 needs.
    assert (g1.visits, g1.households_visited) == (2, 1)
    assert (g1.households_needing, g1.households_covered) == (1, 1)
    # H3 once in October (the visit dated 30 October was logged in November).
    assert (g2.visits, g2.households_visited, g2.households_needing) == (1, 1, 1)
    assert g2.coverage.value == 0
    # The visit of 30 September is not October's; nobody in G3 needs visits: no coverage.
    assert (g3.visits, g3.households_needing) == (0, 0)
    assert g3.coverage.value is None


def test_it_takes_audit_figures_from_closed_campaigns_and_shows_no_audit_as_none(october):
    figures, _city = october
    g1, g2 = _by_code(figures)["G1"].counts, _by_code(figures)["G2"].counts
    assert g1.record_accuracy.value == 0.5
    assert (g1.field_accuracy.successes, g1.field_accuracy.total) == (13, 14)
    low, high = g1.field_accuracy.interval
    assert low < 13 / 14 < high
    assert (g1.satisfaction, g1.items_audited) == (4.0, 2)
    assert g2.audit is None
    assert (g2.record_accuracy, g2.satisfaction, g2.items_audited) == (None, None, None)


def test_it_scores_with_the_weights_there_is_data_for_and_ranks_within_the_street(october):
    figures, _city = october
    rows = _by_code(figures)
    # 20·2/3 + 20·1/3 + 25·1 + 25·0.5 + 10·(4-1)/4 = 65 of 100.
    assert rows["G1"].score == 65.0
    # No audit: completeness 20·1 + timeliness 20·1 + coverage 25·0 over 65.
    assert rows["G2"].score == 61.5
    # Only completeness and timeliness: 20 over 40.
    assert rows["G3"].score == 50.0
    assert (rows["G1"].rank, rows["G2"].rank, rows["G3"].rank) == (1, 2, 1)


def test_it_keeps_october_hierarchy_after_a_grid_is_redrawn(october):
    figures, _city = october
    rows = _by_code(figures)
    assert rows["G2"].street_code == "S1"  # moved to S2 in November
    assert rows["G1"].name == "青松网格"
    s1, s2 = figures.streets
    assert (s1.code, s1.counts.residents, s1.counts.visits) == ("S1", 4, 3)
    assert (s2.code, s2.counts.residents) == ("S2", 1)
    assert figures.total.residents == 5
    assert figures.total.audit.checked == 2


def test_it_gives_grid_members_their_grids_figures_and_their_own_visits(october):
    figures, _city = october
    members = {m.name: m for m in figures.members}
    assert set(members) == {"刘晓彤", "clerk-G2"}
    liu = members["刘晓彤"]
    assert liu.grids == ["G1"]
    assert (liu.counts.visits, liu.counts.residents, liu.score) == (2, 3, 65.0)
    assert members["clerk-G2"].counts.visits == 1


def test_it_limits_a_street_report_to_the_grids_of_that_street_at_month_end(october):
    _figures, _city = october
    with time_machine.travel(DECEMBER, tick=False):
        street = month_figures(OCTOBER, street=Street.objects.get(code="S1"))
    assert [row.code for row in street.grids] == ["G1", "G2"]
    assert street.total.residents == 4
    assert street.street.code == "S1"


def _city_of(grids: int, *, first: int = 0) -> None:
    """Grids each with a member, a household on the map, a patrol round that passed it, and
    a visit during the round near one of its points."""
    now = timezone.now()
    for n in range(first, first + grids):
        grid = factories.make_grid(code=f"Q{n}", street_code=f"S{n % 2}")
        member = factories.make_user(f"member-{n}")
        grid.members.add(member)
        resident = factories.make_resident(grid=grid, name=f"居民{n}")
        factories.make_resident(household=resident.household, name=f"家属{n}")
        building = resident.household.building
        building.latitude, building.longitude = Decimal("30.000000"), Decimal(f"{120 + n}")
        building.save()
        patrol = Patrol.objects.create(
            member=member, grid=grid, started_at=now, ended_at=now, distance_m=1200
        )
        PatrolBuilding.objects.create(patrol=patrol, building=building)
        TrackPoint.objects.create(
            patrol=patrol,
            member=member,
            client_id=1,
            recorded_at=now,
            latitude=30,
            longitude=120 + n,
        )
        Visit.objects.create(grid_member=member, household=resident.household, visited_at=now)


@pytest.mark.django_db
def test_it_runs_the_same_number_of_queries_for_one_grid_and_for_many():
    _city_of(1)
    with CaptureQueriesContext(connection) as one:
        month_figures(dt.date.today())
    _city_of(8, first=1)
    with CaptureQueriesContext(connection) as many:
        figures = month_figures(dt.date.today())
    assert len(figures.grids) == 9
    assert figures.total.patrol.rounds == figures.total.patrol.visits_on_track == 9
    # 23 reads (5 of them the patrols', 9 the events', and now the micro-wishes'; residents,
    # households and the members' visits in one), the planner settings on PostgreSQL (one
    # statement), and the savepoint around them.
    assert len(many) == len(one) <= 25
