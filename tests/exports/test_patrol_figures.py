"""The report's patrol figures for a seeded city against plain loops over its rows
(tests/exports/patrol_city.py), and the patrol part of the score."""

import pytest
import time_machine

from archives.models import Grid, Street
from exports.figures import MonthCounts
from exports.selectors import month_figures
from patrols.selectors import PatrolCounts
from tests.exports.patrol_city import (
    DECEMBER,
    NOVEMBER,
    OCTOBER,
    build_patrol_city,
    expected_patrols,
)

FIELDS = ["days", "rounds", "distance_m", "buildings_covered", "visits", "visits_on_track"]


@pytest.fixture
def november(db):
    with time_machine.travel(OCTOBER, tick=False):  # the archive stood so before November
        build_patrol_city()
    with time_machine.travel(DECEMBER, tick=False):
        return month_figures(NOVEMBER)


def _got(counts: MonthCounts) -> dict:
    return {name: getattr(counts.patrol, name) for name in FIELDS}


def test_each_grids_patrol_figures_agree_with_a_loop_over_its_rounds_and_visits(november):
    assert len(november.grids) == 5
    for row in november.grids:
        expected = expected_patrols(grid=Grid.objects.get(pk=row.grid_id))
        assert _got(row.counts) == {name: expected[name] for name in FIELDS}, row.code
        assert row.counts.buildings_mapped == expected["_buildings_mapped"], row.code
    # The seed gives every kind of visit, so the check is not vacuous.
    every = [expected_patrols(grid=Grid.objects.get(pk=r.grid_id)) for r in november.grids]
    assert sum(e["visits_on_track"] for e in every) > 0
    assert sum(e["_off"] for e in every) > 0
    assert sum(e["visits"] for e in every) > sum(e["visits_on_track"] + e["_off"] for e in every)


def test_each_members_row_has_the_rounds_they_walked_and_the_visits_they_logged(november):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([m.user_id for m in november.members])
    walked = 0
    for member in november.members:
        expected = expected_patrols(member=users[member.user_id])
        assert _got(member.counts) == {name: expected[name] for name in FIELDS}, member.name
        walked += expected["rounds"]
    assert walked > 0


def test_street_and_city_figures_add_up_their_grids_patrol_days_becoming_grid_days(november):
    for street in november.streets:
        grids = [row.counts.patrol for row in november.grids if row.street_id == street.street_id]
        for name in FIELDS:
            assert getattr(street.counts.patrol, name) == sum(getattr(g, name) for g in grids)
    for name in FIELDS:
        assert getattr(november.total.patrol, name) == sum(
            getattr(s.counts.patrol, name) for s in november.streets
        )
    assert november.total.patrol.rounds > 0


def test_the_patrol_part_is_the_mean_of_building_coverage_and_visits_on_track(november):
    for row in november.grids:
        counts = row.counts
        if counts.buildings_mapped == 0:
            # PG5 has no building on the map: the part is left out, not 0.
            assert row.code == "PG5"
            assert counts.score_parts()["patrol"] is None
            continue
        shares = [counts.patrol.buildings_covered / counts.buildings]
        if counts.patrol.visits:
            shares.append(counts.patrol.visits_on_track / counts.patrol.visits)
        assert counts.score_parts()["patrol"] == pytest.approx(sum(shares) / len(shares))
        assert 0 <= counts.building_coverage.value <= 1


def test_a_street_report_counts_only_the_rounds_in_its_grids(november):
    with time_machine.travel(DECEMBER, tick=False):
        street = month_figures(NOVEMBER, street=Street.objects.get(code="PS1"))
    codes = {row.code for row in street.grids}
    assert codes == {r.code for r in november.grids if r.street_code == "PS1"}
    city_rounds = sum(r.counts.patrol.rounds for r in november.grids if r.code in codes)
    assert street.total.patrol.rounds == city_rounds
    # A member walking in the other street's grids has only this street's rounds here.
    for member in street.members:
        assert member.counts.patrol.rounds <= next(
            m.counts.patrol.rounds for m in november.members if m.user_id == member.user_id
        )


def _counts(**patrol) -> MonthCounts:
    return MonthCounts(
        residents=10, complete=10, buildings=4, buildings_mapped=2, patrol=PatrolCounts(**patrol)
    )


def test_the_patrol_part_weighs_in_the_score_and_leaves_it_alone_without_a_map():
    weights = {"completeness": 1, "patrol": 1}
    # Completeness 100%; patrol: half the buildings, a quarter of the visits on-track.
    counts = _counts(buildings_covered=2, visits=4, visits_on_track=1)
    assert counts.score(weights) == pytest.approx(100 * (1 + (0.5 + 0.25) / 2) / 2, abs=0.05)
    # No visits: the building coverage alone.
    assert _counts(buildings_covered=1).score_parts()["patrol"] == 0.25
    unmapped = _counts(buildings_covered=0, visits=4)
    unmapped.buildings_mapped = 0
    assert unmapped.score(weights) == 100.0
    assert MonthCounts(residents=1, complete=1).score_parts()["patrol"] is None


def test_the_settings_weight_of_the_patrol_part_is_the_reports(settings):
    from exports.figures import report_weights

    settings.MONTHLY_REPORT_WEIGHTS = {**settings.MONTHLY_REPORT_WEIGHTS, "patrol": 0}
    assert report_weights()["patrol"] == 0
    counts = _counts(buildings_covered=0, visits=4)  # the patrol part is 0
    others = {part: w for part, w in report_weights().items() if part != "patrol"}
    assert counts.score(report_weights()) == counts.score(others) > 0
    settings.MONTHLY_REPORT_WEIGHTS = {**settings.MONTHLY_REPORT_WEIGHTS, "patrol": 20}
    assert counts.score(report_weights()) < counts.score(others)
