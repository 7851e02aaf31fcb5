"""Two-factor sign-in in a real browser: a required administrator enrols, then signs in."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_two_factor import code_for
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_required_administrator_enrols_first_then_signs_in_with_a_code(
    page, console, admin_user, settings
):
    settings.REQUIRE_TWO_FACTOR = True
    settings.DEMO_MODE = False
    log_in(page, admin_user.get_username())
    page.wait_for_url("**/admin/two-factor/")
    page.goto("/admin/archives/resident/")  # anything else leads back to enrolment
    assert page.url.endswith("/admin/two-factor/")

    page.fill("#id_password", "pw")  # a fresh password before any secret is shown
    page.click(".two-factor-password [type=submit]")
    page.wait_for_selector(".two-factor-secret")
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    page.fill("#id_token", code_for(device))
    page.click(".two-factor-confirm [type=submit]")
    page.wait_for_url("**/admin/")
    screenshot(page, "two-factor-enrolled")

    page.click("#logout-form [type=submit]")
    device.refresh_from_db()
    device.last_t = -1  # the same 30-second code may be used once per device; allow it again
    device.save()
    log_in(page, admin_user.get_username(), token=code_for(device))
    page.wait_for_url("**/admin/")
    assert console.csp_violations() == []
