"""A grid member's round on a phone (390 px) with a faked position: started from the index,
positions sent while walking, kept on the phone while the network is gone and sent when it is
back, the round ended with its totals. No point is lost and none is sent twice."""

import re

import pytest
from playwright.sync_api import expect

from patrols.models import Patrol, TrackPoint
from tests import factories
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.browser

phone = pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])

#: A step north of about 3.3 m: walked in a second, it is a plausible pace.
STEP = 0.00003


def until(page, condition, *, seconds: float = 10) -> None:
    """Waits for ``condition`` (a Python callable: the page's CSP refuses Playwright's
    ``wait_for_function``, which evaluates a string)."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page did not get there in time")


class Walker:
    """Moves the phone's faked position north and waits until the page has taken the point."""

    def __init__(self, page, patrol: Patrol):
        self.page, self.key, self.steps = page, f"patrol-round:{patrol.pk}", 0

    def taken(self) -> int:
        return self.page.evaluate(
            "(key) => JSON.parse(localStorage.getItem(key) || '{\"next\": 1}').next - 1", self.key
        )

    def step(self) -> None:
        before = self.taken()
        self.steps += 1
        self.page.wait_for_timeout(1000)
        self.page.context.set_geolocation(
            {"latitude": 30.0 + self.steps * STEP, "longitude": 120.0, "accuracy": 5}
        )
        until(self.page, lambda: self.taken() > before)


@phone
def test_a_grid_member_walks_a_round_through_a_gap_in_the_network_and_loses_no_point(
    page, logged_in, console, settings
):
    settings.PATROL_SEND_EVERY_SECONDS = 1
    grid = factories.make_grid(code="P1", street_code="PS")
    member = factories.make_user("walker", role="grid member")
    grid.members.add(member)
    factories.grant(member, grid)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.0, "longitude": 120.0, "accuracy": 5})
    acknowledged: list[int] = []

    def collect(response):
        if response.url.endswith("/round/points/") and response.ok:
            acknowledged.extend(p["id"] for p in response.request.post_data_json["points"])

    page.on("response", collect)

    page = logged_in(member)
    screenshot(page, "phone-round-index")
    page.click("#content-main a[href='/admin/patrols/round/']")
    page.wait_for_url("**/admin/patrols/round/")
    assert "绝不在后台记录" in page.inner_text(".round-privacy")
    assert page.input_value("#round-grid") == str(grid.pk)  # their one grid
    screenshot(page, "phone-round-start")
    page.click("text=开始巡查")
    page.wait_for_selector("#round-heading")
    patrol = Patrol.objects.get(member=member, state=Patrol.State.OPEN)
    assert "巡查进行中" in page.inner_text("#round-heading")

    walker = Walker(page, patrol)
    expect(page.locator("#round-accuracy")).to_have_text("± 5 m")  # the first position
    for _ in range(3):
        walker.step()
    expect(page.locator("#round-waiting")).to_have_text("0")
    online_points = walker.taken()
    assert page.inner_text("#round-sent") == str(online_points)
    assert "± 5 m" in page.inner_text("#round-accuracy")
    screenshot(page, "phone-round-open")

    page.context.set_offline(True)
    for _ in range(3):
        walker.step()
    page.wait_for_timeout(2500)  # two sends due, both fail
    offline_points = walker.taken() - online_points
    assert offline_points >= 3
    assert page.inner_text("#round-waiting") == str(offline_points)
    assert "位置点暂存在手机上" in page.inner_text("#round-status")
    assert TrackPoint.objects.filter(patrol=patrol).count() == online_points
    screenshot(page, "phone-round-offline")

    page.context.set_offline(False)
    expect(page.locator("#round-waiting")).to_have_text("0")
    walker.step()
    walker.step()
    taken = walker.taken()
    page.click("text=结束巡查")
    page.wait_for_url(re.compile(r"/admin/patrols/round/\?ended="))

    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.ENDED
    ids = sorted(TrackPoint.objects.filter(patrol=patrol).values_list("client_id", flat=True))
    assert ids == list(range(1, len(ids) + 1)) and len(ids) >= taken  # none lost
    assert sorted(acknowledged) == ids  # each sent once: no resend of an acknowledged point
    assert patrol.flagged_count == 0
    assert patrol.distance_m >= 25  # 8 steps of 3.3 m, the first maybe before the first point
    assert page.inner_text("#ended-distance") == f"{patrol.distance_m} 米"
    assert "巡查已结束" in page.inner_text("#ended-heading")
    screenshot(page, "phone-round-ended")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    offline_noise = [m for m in console if "ERR_INTERNET_DISCONNECTED" not in m]
    assert offline_noise == [], console
