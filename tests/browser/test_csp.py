"""The admin works under the Content Security Policy: pages load, their scripts run, and the
browser reports no violation."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def admin_pages(resident) -> dict[str, str]:
    return {
        "index": "/admin/",
        "resident-list": "/admin/archives/resident/",
        "resident-change": f"/admin/archives/resident/{resident.pk}/change/",
        "resident-history": f"/admin/archives/resident/{resident.pk}/history/",
        "household-list": "/admin/archives/household/",
        "building-plan": f"/admin/archives/building/{resident.household.building_id}/plan/",
        "grid-plan": f"/admin/archives/grid/{resident.household.building.grid_id}/plan/",
        "visit-add": "/admin/archives/visit/add/",
        "resident-export": "/admin/archives/resident/export/",
        "two-factor": "/admin/two-factor/",
    }


@pytest.mark.parametrize("who", ["admin", "clerk"])
def test_admin_pages_raise_no_csp_violation(logged_in, console, two_grids, admin_user, who):
    user = admin_user if who == "admin" else two_grids["clerk"]
    page = logged_in(user)
    for name, url in admin_pages(two_grids["resident"]).items():
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        screenshot(page, f"{who}-{name}")
    assert console.csp_violations() == []
    assert console == [], console


def test_admin_scripts_run_under_the_policy(logged_in, console, two_grids, admin_user):
    """actions.js marks rows selected when the box in the header is ticked: proof that the
    admin's scripts loaded and ran."""
    page = logged_in(admin_user)
    page.goto("/admin/archives/resident/")
    page.click("#action-toggle")
    assert page.locator("#result_list tr.selected").count() == 2
    assert console == [], console


def test_the_login_page_explains_a_lockout(page, console, two_grids, settings, live_server):
    settings.AXES_FAILURE_LIMIT = 3
    english = {"name": "django_language", "value": "en", "url": live_server.url}
    page.context.add_cookies([english])
    for _ in range(3):
        log_in(page, "clerk-g1", password="wrong")
    message = page.locator(".errornote.locked-out")
    assert "locked for 15 minutes" in message.inner_text()
    screenshot(page, "login-locked-out")
    assert console.csp_violations() == []


def test_the_two_factor_page_shows_a_scannable_code(logged_in, console, admin_user):
    page = logged_in(admin_user)
    page.click("#user-tools a[href='/admin/two-factor/']")
    page.wait_for_url("**/admin/two-factor/")
    page.fill("#id_password", "pw")  # enrolment asks for the password again first
    page.click(".two-factor-password [type=submit]")
    page.wait_for_selector(".two-factor-secret")
    assert page.locator(".two-factor-qr svg").is_visible()
    assert len(page.locator(".two-factor-secret").inner_text().replace(" ", "")) == 32
    screenshot(page, "two-factor-enrolment")
    assert console.csp_violations() == []
