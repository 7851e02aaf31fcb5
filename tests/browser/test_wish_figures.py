"""The officials' dashboard table of the month's micro-wish figures, drawn in Chromium under the
Content Security Policy, on a desktop and a phone; screenshots go to
test-artifacts/screenshots/."""

import pytest

from archives.models import Community, Department, Street
from portal.roles import STREET_OFFICIAL
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.wishes.figures_city import seed_wishes

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True)
def test_a_street_official_sees_the_month_s_wishes_per_community(logged_in, console, db, page):
    street = Street.objects.create(code="BW", name="北湖街道")
    communities = [
        Community.objects.create(code=f"BW{n}", name=f"北湖{n}社区", street=street)
        for n in range(3)
    ]
    seed_wishes(
        seed=5,
        count=300,
        communities=communities,
        departments=[Department.objects.create(code="bw", name="城管局")],
        staff=factories.make_user("poster"),
    )
    official = factories.make_user("street-official", role=STREET_OFFICIAL)
    factories.grant(official, street)
    logged_in(official)
    table = page.locator("table.wish-figures")
    assert table.locator("tbody tr").count() == 4  # three communities and the total
    text = table.inner_text()
    assert "北湖0社区" in text and "合计" in text and "实现天数中位数" in text
    module = page.locator(".wish-figures-module")
    assert "微心愿" in module.inner_text()
    box = table.bounding_box()
    assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"]
    module.scroll_into_view_if_needed()
    print(screenshot(page, f"official-dashboard-wishes-{page.viewport_size['width']}"))
    assert not console.csp_violations(), console
