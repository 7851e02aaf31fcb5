import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import two_factor_required
from archives.roles import MUNICIPAL_OFFICIAL
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
SETUP = "/admin/two-factor/"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def enrolled(db):
    user = factories.make_user("enrolled", superuser=True)
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def required(settings):
    settings.REQUIRE_TWO_FACTOR = True
    settings.DEMO_MODE = False


def test_an_enrolled_user_cannot_sign_in_without_the_code(client, enrolled, settings):
    settings.AXES_FAILURE_LIMIT = 10
    client.cookies["django_language"] = "en"
    response = client.post(LOGIN, {"username": "enrolled", "password": "pw"})
    assert response.status_code == 200
    assert "enter the 6-digit code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_missing_or_wrong_code_counts_as_a_failed_login(client, enrolled):
    from axes.models import AccessAttempt

    client.post(LOGIN, {"username": "enrolled", "password": "pw"})
    client.post(LOGIN, {"username": "enrolled", "password": "pw", "otp_token": "000000"})
    assert AccessAttempt.objects.get(username="enrolled").failures_since_start == 2


def test_an_enrolled_user_signs_in_with_the_code_and_the_session_is_verified(client, enrolled):
    response = client.post(
        LOGIN, {"username": "enrolled", "password": "pw", "otp_token": code_for(enrolled)}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.session["otp_device_id"] == enrolled.persistent_id


def test_a_user_without_a_device_signs_in_with_the_password_alone(client, two_grids):
    response = client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_administrator_without_a_device_is_sent_to_enrolment_when_required(
    client, required, admin_user
):
    client.force_login(admin_user)
    for page in ("/admin/", "/admin/archives/resident/", "/admin/auth/user/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response.url == SETUP
    assert client.get(SETUP).status_code == 200


def test_a_municipal_official_must_enrol_but_a_clerk_need_not(client, required, two_grids):
    official = factories.make_user("official-1", role=MUNICIPAL_OFFICIAL)
    assert two_factor_required(official)
    assert not two_factor_required(two_grids["clerk"])
    client.force_login(two_grids["clerk"])
    assert client.get("/admin/").status_code == 200


def test_nobody_is_forced_when_the_setting_is_off(client, settings, admin_user):
    settings.REQUIRE_TWO_FACTOR = False
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_demo_accounts_are_exempt_in_demo_mode_only(settings, required):
    demo_admin = factories.make_user("admin", superuser=True)
    assert two_factor_required(demo_admin)
    settings.DEMO_MODE = True
    assert not two_factor_required(demo_admin)
    assert two_factor_required(factories.make_user("root2", superuser=True))


def test_enrolment_shows_a_qr_code_and_the_secret_and_a_code_confirms_it(
    client, required, admin_user
):
    client.force_login(admin_user)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert "<svg" in page
    assert page.count("two-factor-secret") == 1

    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"token": wrong})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a retry wait a second after a wrong code

    response = client.post(SETUP, {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200  # this session is verified now


def test_reloading_the_enrolment_page_keeps_the_same_secret(admin_client):
    admin_client.get(SETUP)
    admin_client.get(SETUP)
    assert TOTPDevice.objects.filter(confirmed=False).count() == 1


def test_a_session_opened_before_a_device_was_added_is_signed_out(client, enrolled):
    client.force_login(enrolled.user)
    response = client.get("/admin/archives/resident/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_a_user_may_turn_off_an_optional_device_but_not_a_required_one(client, settings, enrolled):
    settings.REQUIRE_TWO_FACTOR = False
    client.post(LOGIN, {"username": "enrolled", "password": "pw", "otp_token": code_for(enrolled)})
    settings.REQUIRE_TWO_FACTOR = True
    settings.DEMO_MODE = False
    client.post(SETUP, {"remove": "1"})
    assert TOTPDevice.objects.filter(user=enrolled.user, confirmed=True).exists()
    settings.REQUIRE_TWO_FACTOR = False
    client.post(SETUP, {"remove": "1"})
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()


def test_an_administrator_can_remove_a_device_but_never_read_its_secret(admin_client, enrolled):
    change = admin_client.get(f"/admin/otp_totp/totpdevice/{enrolled.pk}/change/")
    assert change.status_code == 200
    assert enrolled.key not in change.content.decode()
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{enrolled.pk}/config/").status_code == 403
    assert admin_client.get(f"/admin/otp_totp/totpdevice/{enrolled.pk}/qrcode/").status_code == 403

    response = admin_client.post(
        f"/admin/otp_totp/totpdevice/{enrolled.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=enrolled.pk).exists()
