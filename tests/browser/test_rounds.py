"""Rounds seen by clicking: a community's staff member goes from the index to the round list,
opens a round and sees its track drawn over the grid's buildings, then the grid's month; a grid
member logging a visit on a phone finds the position filled in as the form opens."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from patrols import services
from tests import factories
from tests.browser.conftest import PHONE, screenshot
from tests.patrols.conftest import MORNING, walk


@pytest.fixture
def walked(city):
    """A round by the clerk through grid GA1a, past two of its three buildings."""
    grid = city.grids["GA1a"]
    first = city.residents["GA1a"].household.building
    first.latitude, first.longitude = Decimal("30.001000"), Decimal("120.000200")
    first.save()
    for address, lat, lon in (
        ("GA1a路3号", "30.003000", "119.999800"),
        ("GA1a路5号", "30.002000", "120.004000"),
    ):
        building = factories.make_building(grid=grid, address=address)
        building.latitude, building.longitude = Decimal(lat), Decimal(lon)
        building.save()
    clerk = city.users["clerk"]
    patrol = services.patrol_start(actor=clerk, grid=grid, at=MORNING)
    positions = [(30.0 + i * 0.0002, 120.0 + (0.0001 if i % 4 == 1 else 0.0)) for i in range(18)]
    services.patrol_points_record(
        patrol=patrol,
        actor=clerk,
        points=walk(MORNING, positions),
        now=MORNING + dt.timedelta(hours=1),
    )
    return services.patrol_end(patrol=patrol, actor=clerk, at=MORNING + dt.timedelta(minutes=12))


def test_a_community_staff_member_opens_a_round_and_sees_its_track(
    logged_in, console, city, walked
):
    page = logged_in(city.users["community"])
    page.locator("#content-main a[href='/admin/patrols/patrol/']").first.click()
    page.wait_for_url("**/admin/patrols/patrol/")
    screenshot(page, "rounds-list")
    assert "clerk" in page.locator("#result_list").inner_text()

    page.locator(f"#result_list a[href^='/admin/patrols/patrol/{walked.pk}/change/']").click()
    page.wait_for_url(f"**/admin/patrols/patrol/{walked.pk}/change/")
    track = page.locator("svg.patrol-map")
    assert track.is_visible()
    assert track.locator("polyline.track").count() == 1
    assert track.locator("g.building.passed").count() == 2
    assert track.locator("g.building.unpassed").count() == 1
    box = track.bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    print(screenshot(page, "round-page"))

    page.locator("a.grid-month-link").first.click()
    page.wait_for_url(re.compile(r"/admin/patrols/patrol/grid-month/\?grid="))
    assert "2 / 3" in page.locator(".grid-coverage-figures").inner_text().replace(
        "栋中 ", " / "
    ) or ("67%" in page.locator(".grid-coverage-figures").inner_text())
    assert page.locator(".grid-days-table a").count() == 1
    print(screenshot(page, "grid-month"))

    # The visit list checks each visit against the track: the clerk's visit of 2 November had
    # no round then.
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_url("**/admin/")
    page.locator("#content-main a[href='/admin/archives/visit/']").first.click()
    page.wait_for_url("**/admin/archives/visit/")
    assert "轨迹核验" in page.locator("#result_list thead").inner_text()
    assert page.locator("#result_list .field-track_check .track-check-none").count() >= 1
    print(screenshot(page, "visit-list-track-check"))
    assert console == [], console


@pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])
def test_a_new_visit_on_a_phone_takes_the_position_as_the_form_opens(logged_in, console, city):
    household = city.residents["GA1a"].household
    page = logged_in(city.users["clerk"])
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.001234, "longitude": 120.004321, "accuracy": 9})
    page.locator("#content-main a[href='/admin/archives/household/']").first.click()
    page.wait_for_url("**/admin/archives/household/")
    page.locator(
        f"#result_list a[href^='/admin/archives/household/{household.pk}/change/']"
    ).click()
    page.wait_for_url(f"**/admin/archives/household/{household.pk}/change/")
    page.locator("a.household-log-visit").click()
    page.wait_for_url("**/admin/archives/visit/add/?household=*")
    page.wait_for_function("document.getElementById('id_latitude').value !== ''")
    assert page.input_value("#id_latitude") == "30.001234"
    assert page.input_value("#id_longitude") == "120.004321"
    page.fill("#id_latitude", "30.1")  # still editable
    assert page.input_value("#id_latitude") == "30.1"
    print(screenshot(page, "phone-visit-position-on-open"))
    assert console == [], console
