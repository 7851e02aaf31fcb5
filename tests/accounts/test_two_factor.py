import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import two_factor_required
from portal.roles import MUNICIPAL_OFFICIAL
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
SETUP = "/admin/two-factor/"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirm_password(client, password="pw"):
    response = client.post(SETUP, {"password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


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
    confirm_password(client)
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
    confirm_password(admin_client)
    admin_client.get(SETUP)
    first = TOTPDevice.objects.get(confirmed=False)
    admin_client.get(SETUP)
    assert list(TOTPDevice.objects.filter(confirmed=False)) == [first]


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
    confirm_password(client)
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


def test_enrolment_asks_for_the_password_again_and_not_for_long(client, admin_user):
    client.force_login(admin_user)
    page = client.get(SETUP).content.decode()
    assert 'name="password"' in page and "two-factor-secret" not in page
    assert not TOTPDevice.objects.filter(user=admin_user).exists()  # no secret handed out yet

    response = client.post(SETUP, {"password": "wrong"})
    assert response.status_code == 200 and "two-factor-secret" not in response.content.decode()
    confirm_password(client)
    assert "two-factor-secret" in client.get(SETUP).content.decode()

    session = client.session
    session["two_factor_password_confirmed_at"] = time.time() - 6 * 60
    session.save()
    assert "two-factor-secret" not in client.get(SETUP).content.decode()


def test_an_older_session_cannot_take_over_the_second_factor_the_owner_enrolled(admin_user):
    owner, older = Client(), Client()
    older.force_login(admin_user)  # signed in first, say on a shared office computer
    owner.force_login(admin_user)
    confirm_password(owner)
    owner.get(SETUP)
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert owner.post(SETUP, {"token": code_for(device)}).status_code == 302

    # The older session knows the password too, and still gets nothing but the sign-in page.
    for attempt in (older.get(SETUP), older.post(SETUP, {"password": "pw"})):
        assert attempt.status_code == 302 and attempt.url.startswith(LOGIN)
    assert "_auth_user_id" not in older.session
    assert list(TOTPDevice.objects.filter(user=admin_user)) == [device]
    assert owner.get("/admin/").status_code == 200  # the owner's phone still works


def test_moving_to_a_new_phone_needs_a_code_from_the_current_one(client, enrolled):
    client.post(LOGIN, {"username": "enrolled", "password": "pw", "otp_token": code_for(enrolled)})
    confirm_password(client)
    page = client.get(SETUP).content.decode()
    assert 'name="current_token"' in page
    new = TOTPDevice.objects.get(user=enrolled.user, confirmed=False)

    response = client.post(SETUP, {"token": code_for(new), "current_token": "000000"})
    assert response.status_code == 200
    assert TOTPDevice.objects.get(user=enrolled.user, confirmed=True) == enrolled

    enrolled.refresh_from_db()
    enrolled.throttle_reset()
    enrolled.last_t = -1  # the code used to sign in may be used once; allow it again
    enrolled.save()
    response = client.post(SETUP, {"token": code_for(new), "current_token": code_for(enrolled)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=enrolled.user, confirmed=True) == new


def test_after_an_administrators_reset_the_owner_enrols_a_new_phone(client, enrolled, admin_user):
    administrator = Client()
    administrator.force_login(admin_user)
    administrator.post(f"/admin/otp_totp/totpdevice/{enrolled.pk}/delete/", {"post": "yes"})
    client.post(LOGIN, {"username": "enrolled", "password": "pw"})
    confirm_password(client)
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=enrolled.user, confirmed=False)
    assert client.post(SETUP, {"token": code_for(new)}).status_code == 302
    assert TOTPDevice.objects.get(user=enrolled.user, confirmed=True) == new


def test_a_pending_secret_is_never_shown_to_another_session(admin_user):
    first, second = Client(), Client()
    for session in (first, second):
        session.force_login(admin_user)
        confirm_password(session)
    first_page = first.get(SETUP).content.decode()
    secret = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    second_page = second.get(SETUP).content.decode()
    assert "two-factor-secret" in first_page and "two-factor-secret" in second_page
    assert not TOTPDevice.objects.filter(pk=secret.pk).exists()  # replaced, not shared
