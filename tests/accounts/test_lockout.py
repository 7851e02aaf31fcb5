import pytest
from axes.models import AccessAttempt, AccessFailureLog

from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 15 / 60


def fail(client, username="clerk-g1", times=1):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong"})
    return response


def test_a_wrong_password_gets_a_clear_message_and_is_recorded(client, two_grids):
    response = fail(client)
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's "enter a correct username"
    assert AccessAttempt.objects.get(username="clerk-g1").failures_since_start == 1
    assert AccessFailureLog.objects.filter(username="clerk-g1").count() == 1


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, two_grids):
    fail(client, times=3)
    response = client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    assert response.status_code == 429
    assert 'class="errornote locked-out"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_how_long_in_english_too(client, two_grids):
    client.cookies["django_language"] = "en"
    response = fail(client, times=3)
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "ask an administrator" in response.content.decode()


def test_failures_from_one_address_lock_it_for_every_username_when_configured(
    client, two_grids, settings
):
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    for n in range(3):
        fail(client, username=f"nobody-{n}")
    response = client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    assert response.status_code == 429


def test_by_default_others_at_the_same_address_can_still_sign_in(client, two_grids):
    # Clerks of one community office share one public address.
    for n in range(3):
        fail(client, username=f"nobody-{n}")
    response = client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    assert response.status_code == 302


def test_an_administrator_unlocks_an_account_from_the_admin(client, two_grids, admin_client):
    fail(client, times=3)
    attempt = AccessAttempt.objects.get(username="clerk-g1")
    assert "clerk-g1" in admin_client.get("/admin/axes/accessattempt/").content.decode()

    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    response = client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(two_grids["clerk"].pk)


def test_a_successful_login_resets_the_count(client, two_grids):
    fail(client, times=2)
    client.post(LOGIN, {"username": "clerk-g1", "password": "pw"})
    client.logout()
    fail(client, times=2)
    assert client.post(LOGIN, {"username": "clerk-g1", "password": "pw"}).status_code == 302


def test_a_clerk_cannot_unlock_accounts(client, two_grids):
    client.force_login(factories.make_user("other-clerk", role="grid member"))
    assert client.get("/admin/axes/accessattempt/").status_code == 403
