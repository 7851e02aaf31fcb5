"""An administrator issues a tracking device from the list, reads its settings once, and
revokes it, by clicking."""

import re

from patrols.models import TrackingDevice
from tests import factories
from tests.browser.conftest import screenshot


def test_an_administrator_issues_a_device_and_revokes_it(logged_in, console):
    grid = factories.make_grid(code="T1", street_code="TS")
    member = factories.make_user("walker", role="grid member")
    member.last_name, member.first_name = "李", "娜"
    member.save()
    grid.members.add(member)
    page = logged_in(factories.make_user("root", superuser=True))

    page.click("a[href='/admin/patrols/trackingdevice/']")
    page.click("text=发放设备")
    page.select_option("#id_member", label="李娜 (walker)")
    page.fill("#id_name", "李娜的手机")
    screenshot(page, "tracking-device-issue")
    page.click("input[type=submit]")

    token = page.inner_text("code.device-token")
    assert re.fullmatch(r"[\w-]{32}", token)
    assert page.is_visible("text=/patrols/osmand/")
    screenshot(page, "tracking-device-issued")
    page.click("text=完成")
    page.wait_for_url("**/trackingdevice/*/change/")
    assert token not in page.content()
    assert f"…{token[-4:]}" in page.content()

    page.click("text=停用")
    page.fill("#id_reason", "手机丢失")
    page.click("input[type=submit]")
    page.wait_for_url("**/trackingdevice/*/change/")
    assert page.is_visible("text=手机丢失")  # the reason, in the history on the device's page
    screenshot(page, "tracking-device-revoked")
    assert TrackingDevice.objects.get().revoked_at is not None
    page.click(".breadcrumbs a[href='/admin/patrols/trackingdevice/']")
    page.wait_for_url("**/trackingdevice/")
    assert page.inner_text("td.field-state_short") == "已停用"
    screenshot(page, "tracking-device-list")
    assert console == []
