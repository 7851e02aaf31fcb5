"""The demo city has a past: six months of changes, visits and closed audits, dated when they
happened, so last month's report and the dashboard read believable figures on a fresh city;
and the dashboard and the report count the same figure the same way."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.names import person_name
from archives.demo.city import CitySize
from archives.models import Resident, Street, Visit
from audits.models import AuditCampaign
from audits.services import audit_campaign_verify_draw
from exports.excel import scope_label
from exports.selectors import month_figures
from portal.dashboard import official_panel
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)
NOW = dt.datetime.combine(TODAY, dt.time(11), tzinfo=dt.timezone(dt.timedelta(hours=8)))
SIZE = CitySize(residents=900, grids=6, streets=2)
PAST_MONTHS = [dt.date(2026, m, 1) for m in range(6, 12)]  # June to November


@pytest.fixture
def city(settings):
    settings.DEBUG = True
    with factories.demo_city_on(TODAY, NOW, SIZE):
        yield


def _month(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def test_the_history_of_files_and_visits_is_spread_over_six_months(city):
    entries = Resident.history.all()
    created = {
        _month(d) for d in entries.filter(history_type="+").values_list("history_date", flat=True)
    }
    changed = {
        _month(d) for d in entries.filter(history_type="~").values_list("history_date", flat=True)
    }
    assert set(PAST_MONTHS) <= created  # families moved in every month
    assert set(PAST_MONTHS) <= changed  # files verified (and moved out) every month
    visited = {_month(v) for v in Visit.objects.values_list("visited_at", flat=True)}
    assert set(PAST_MONTHS) <= visited
    logged = {_month(d) for d in Visit.history.values_list("history_date", flat=True)}
    assert set(PAST_MONTHS) <= logged  # each visit's entry is dated when it was logged
    assert not Resident.history.filter(history_date__gt=timezone.now()).exists()


def test_every_month_has_a_closed_audit_that_verifies(city):
    campaigns = AuditCampaign.objects.filter(state=AuditCampaign.State.CLOSED)
    assert {c.period for c in campaigns} == {*PAST_MONTHS, TODAY.replace(day=1)}
    admin = get_user_model().objects.get(username="admin")
    assert person_name(admin) == "赵立新"  # demo accounts have names, pages show them
    for campaign in campaigns:
        assert _month(campaign.drawn_at) == campaign.period
        assert campaign.items.filter(checked_at__isnull=True).count() == 0
        assert audit_campaign_verify_draw(campaign=campaign, actor=admin).ok


def test_last_months_report_scores_every_grid(city):
    with time_machine.travel(NOW, tick=False):
        figures = month_figures(dt.date(2026, 11, 1))
    assert len(figures.grids) == SIZE.grids
    for row in figures.grids:
        assert row.score is not None and row.rank is not None, row.code
        assert row.counts.residents > 0 and row.counts.visits > 0, row.code
        assert row.counts.record_accuracy is not None, row.code  # November's audit closed
        assert row.counts.satisfaction is not None, row.code
    assert figures.total.new > 0 and figures.total.updated > 0
    assert 0.3 < figures.total.timeliness.value < 1


def test_a_streets_report_names_the_street_even_before_it_had_grids(city):
    street = Street.objects.order_by("code").first()
    with time_machine.travel(NOW, tick=False):
        before_the_city = month_figures(dt.date(2025, 1, 1), street=street)
        november = month_figures(dt.date(2026, 11, 1), street=street)
    assert scope_label(before_the_city) == street.name  # not 全市 (whole city)
    assert scope_label(november) == street.name


def test_the_dashboard_and_the_report_agree_on_the_same_day(city):
    admin = get_user_model().objects.get(username="admin")
    with time_machine.travel(NOW, tick=False):
        panel = official_panel(admin, timezone.now(), TODAY)
        report = month_figures(TODAY)
    on_dashboard = {
        row.street.code: (row.residents, row.households, row.visits, row.verified_recently, row.new)
        for row in panel.streets
    }
    in_report = {
        row.code: (
            row.counts.residents,
            row.counts.households,
            row.counts.visits,
            row.counts.verified_recently,
            row.counts.new,
        )
        for row in report.streets
    }
    assert on_dashboard == in_report
    assert all(row.counts.verified_recently > 0 for row in report.streets)
