"""The admin index shows each role its dashboard, within its scope, in constant queries."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives.models import Tag, Visit
from portal import dashboard as dashboards
from portal.roles import AUDITOR, STREET_OFFICIAL
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def elderly_tag(db) -> Tag:
    tag = factories.make_tag()
    tag.needs_visits_per_month = 2
    tag.save()
    return tag


def index_page(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_clerk_sees_their_grids_files_to_verify_and_households_to_visit(
    client, two_grids, elderly_tag
):
    resident = two_grids["resident"]
    resident.tags.add(elderly_tag)
    Visit.objects.create(
        grid_member=two_grids["clerk"], household=resident.household, visited_at=timezone.now()
    )
    page = index_page(client, two_grids["clerk"])
    assert "我的网格" in page and two_grids["grid"].name in page
    assert "1 位居民待核实" in page and resident.name in page
    assert "本月还有 1 户待走访" in page and "独居老人 · 本月 1/2 次" in page
    assert two_grids["other_resident"].name not in page


def test_a_household_visited_twice_this_month_is_not_listed(client, two_grids, elderly_tag):
    resident = two_grids["resident"]
    resident.tags.add(elderly_tag)
    last_month = timezone.now() - dt.timedelta(days=40)
    for when in (timezone.now(), timezone.now(), last_month):
        Visit.objects.create(
            grid_member=two_grids["clerk"], household=resident.household, visited_at=when
        )
    page = index_page(client, two_grids["clerk"])
    assert "本月还有 0 户待走访" in page


def test_a_recently_verified_resident_is_not_due(client, two_grids):
    resident = two_grids["resident"]
    resident.last_verified_at = timezone.now() - dt.timedelta(days=10)
    resident.save()
    assert "0 位居民待核实" in index_page(client, two_grids["clerk"])


def test_a_street_official_sees_figures_per_street_and_charts(client, two_grids):
    official = factories.make_user("street-official", role=STREET_OFFICIAL)
    factories.grant(official, two_grids["grid"].community.street)
    page = index_page(client, official)
    assert "各街道概况" in page and "S1街道" in page and "S2街道" not in page
    assert "180 天内已核实" in page and re.search(r"<td>\d+%</td>", page)
    assert '<svg viewBox="0 0 560 220"' in page and "<rect" in page
    assert "审核发现完全正确的档案" in page


def test_an_auditor_sees_the_items_left_in_their_open_campaigns(client, two_grids, admin_user):
    auditor = factories.make_user("auditor", role=AUDITOR)
    factories.make_drawn_campaign(
        street=two_grids["grid"].community.street, auditor=auditor, actor=admin_user
    )
    page = index_page(client, auditor)
    assert "待核查的档案" in page and "十一月抽查" in page and "还剩 1 条" in page
    assert two_grids["resident"].name in page


@pytest.mark.parametrize("role", ["clerk", "official", "admin"])
def test_the_dashboards_run_as_many_queries_for_more_grids_and_rows(
    client, two_grids, admin_user, elderly_tag, role
):
    official = factories.make_user("official", role="municipal official")
    user = {"clerk": two_grids["clerk"], "official": official, "admin": admin_user}[role]
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    before = queries()
    for street in ("S1", "S3"):
        grid = factories.make_grid(street_code=street)
        factories.grant(two_grids["clerk"], grid)
        for _ in range(3):
            factories.make_resident(grid=grid).tags.add(elderly_tag)
    assert queries() == before


def test_an_officials_street_figures_are_reused_until_their_grids_change(two_grids):
    official = factories.make_user("official", role="municipal official")
    now = timezone.now()
    first = dashboards.dashboard(official, now)["official_panel"]
    assert sum(street.residents for street in first.streets) == 2

    factories.make_resident(grid=two_grids["grid"])  # within the cache's lifetime: not yet
    with CaptureQueriesContext(connection) as reused:
        again = dashboards.dashboard(official, now)["official_panel"]
    assert sum(street.residents for street in again.streets) == 2
    assert again.computed_at == first.computed_at

    factories.make_grid(street_code="S3")  # the grids they see changed: counted afresh
    with CaptureQueriesContext(connection) as fresh:
        recounted = dashboards.dashboard(official, now)["official_panel"]
    assert sum(street.residents for street in recounted.streets) == 3
    assert len(reused) < len(fresh)
