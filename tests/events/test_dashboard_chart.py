"""The officials' dashboard chart: the share of events settled within the goal, per street and
for a department's staff their department, over the last six months."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.selectors.figures import within_goal_trend
from events.services import (
    event_accept,
    event_confirm,
    event_handle,
    event_pass_up,
    event_transfer,
)
from portal import dashboard as dashboards
from tests import factories
from tests.events.conftest import TUESDAY_9AM

NOW = timezone.make_aware(dt.datetime(2026, 12, 3, 10, 0))
MONTHS = [dt.date(2026, m, 1) for m in range(7, 13)]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def settle(city, *, days: float, department=None):
    event = city.report()
    handler = city.community_staff
    if department is not None:
        event_pass_up(actor=city.community_staff, event=event, at=TUESDAY_9AM)
        event_transfer(
            actor=city.street_official, event=event, department=department, at=TUESDAY_9AM
        )
        handler = city.housing_staff
    event_accept(actor=handler, event=event, at=TUESDAY_9AM)
    event_handle(actor=handler, event=event, note="已处理", at=TUESDAY_9AM)
    closed = TUESDAY_9AM + dt.timedelta(days=days)
    event_confirm(actor=city.community_staff, event=event, at=closed)
    return event


def test_a_street_official_sees_their_street_s_share_in_november(city):
    settle(city, days=1)
    settle(city, days=2)
    settle(city, days=5)
    panel = dashboards.dashboard(city.street_official, NOW)["official_panel"]
    chart = panel.events_chart
    assert [line.name for line in chart.lines] == [city.street.name]
    (line,) = chart.lines
    assert [point.text for point in line.points] == ["67%"]  # November only
    assert [tick.text for tick in chart.x_ticks][-2:] == ["2026年11月", "2026年12月"]


def test_a_department_s_staff_see_their_department_s_line(city):
    settle(city, days=1, department=city.housing)
    lines = within_goal_trend(city.housing_staff, MONTHS, {}, {})
    assert lines == [(city.housing.name, [None, None, None, None, 1.0, None])]


def test_the_page_draws_the_chart_with_its_caption(city, client):
    settle(city, days=1)
    client.force_login(city.street_official)
    page = client.get("/admin/").content.decode()
    assert "3日内办结的事件" in page and 'class="chart events-chart"' in page
    assert f"{city.street.name}: 100%" in page


def test_the_trend_runs_one_query_whatever_the_number_of_grids(db, city):
    settle(city, days=1)
    few = {city.grid.pk: city.street.pk, city.other_grid.pk: city.other_street.pk}
    many = dict(few)
    for n in range(8):
        many[factories.make_grid(code=f"T{n}", street_code="TS").pk] = city.street.pk
    counts = []
    for grid_streets in (few, many):
        reader = type(city.municipal).objects.get(pk=city.municipal.pk)  # no cached permissions
        with CaptureQueriesContext(connection) as captured:
            within_goal_trend(reader, MONTHS, grid_streets, {city.street.pk: "街道"})
        counts.append(len(captured))
    # The trend, the reader's permissions and the departments they act for (none).
    assert counts[0] == counts[1] <= 4
