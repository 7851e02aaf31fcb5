"""The officials' dashboard chart of the share of events settled within the goal, drawn in
Chromium under the Content Security Policy; a screenshot goes to test-artifacts/screenshots/."""

import pytest

from archives.models import Department
from events.models import EventCategory
from portal.roles import MUNICIPAL_OFFICIAL
from tests import factories
from tests.browser.conftest import screenshot
from tests.events.figures_city import seed_events

pytestmark = pytest.mark.browser


def test_a_municipal_official_sees_the_share_settled_within_three_days_per_street(
    logged_in, console, db
):
    grids = [factories.make_grid(code=f"B{n}", street_code=f"BS{n % 3}") for n in range(6)]
    department = Department.objects.create(code="d", name="住建局", serves_whole_city=True)
    seed_events(
        seed=3,
        count=400,
        grids=grids,
        departments=[department],
        category=EventCategory.objects.create(code="c", name="垃圾"),
        reporter=factories.make_user("reporter"),
    )
    official = factories.make_user("city-official", role=MUNICIPAL_OFFICIAL)
    factories.grant(official, grids[0].community.street)  # any grant: the role sees the city
    page = logged_in(official)
    chart = page.locator("figure.events-chart")
    assert "3日内办结的事件" in chart.inner_text()
    assert chart.locator("polyline").count() == 3  # a line per street
    assert chart.locator("circle").count() >= 9
    chart.scroll_into_view_if_needed()
    print(screenshot(page, "official-dashboard-events-chart"))
    assert not console.csp_violations(), console
