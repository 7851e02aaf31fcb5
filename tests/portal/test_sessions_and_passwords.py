import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Moves Django's clock forward; sessions read it to expire."""
    real_now = timezone.now
    offset = {"delta": dt.timedelta()}
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset["delta"])

    def advance(minutes: float) -> None:
        offset["delta"] += dt.timedelta(minutes=minutes)

    return advance


def test_a_session_ends_after_thirty_idle_minutes(admin_client, clock):
    assert admin_client.get("/admin/").status_code == 200
    clock(31)
    response = admin_client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_each_request_renews_the_idle_time(admin_client, clock):
    for _ in range(4):  # two hours of work, a request every 25 minutes
        clock(25)
        assert admin_client.get("/admin/").status_code == 200


def test_the_idle_time_is_configurable(admin_user, clock, settings):
    settings.SESSION_COOKIE_AGE = 5 * 60
    client = Client()
    client.force_login(admin_user)
    clock(2)
    assert client.get("/admin/").status_code == 200
    clock(6)
    assert client.get("/admin/").status_code == 302


def test_clicking_every_half_minute_for_an_hour_keeps_the_session(admin_client, clock):
    for _ in range(120):
        clock(0.5)
        assert admin_client.get("/admin/").status_code == 200


def test_pages_within_a_minute_of_the_last_renewal_do_not_write_the_session(admin_client, clock):
    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/").status_code == 200
        return sum(
            1 for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
        )

    assert session_writes() == 0  # signing in saved the session a moment ago
    clock(1)
    assert session_writes() == 1
    clock(0.5)
    assert session_writes() == 0
    clock(1)
    assert session_writes() == 1


def test_the_session_cookie_ends_with_the_browser(admin_client, clock):
    clock(2)  # a page that renews the session sends its cookie again
    response = admin_client.get("/admin/")
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_changing_the_password_signs_out_every_other_session(admin_user):
    here, elsewhere = Client(), Client()
    here.force_login(admin_user)
    elsewhere.force_login(admin_user)
    response = here.post(
        "/admin/password_change/",
        {
            "old_password": "pw",
            "new_password1": "granite-lantern-47",
            "new_password2": "granite-lantern-47",
        },
    )
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200  # the session that changed it stays
    assert elsewhere.get("/admin/").status_code == 302


def test_a_staff_password_needs_twelve_characters(admin_client, admin_user):
    response = admin_client.post(
        "/admin/password_change/",
        {"old_password": "pw", "new_password1": "Kx7-walnut", "new_password2": "Kx7-walnut"},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    assert get_user_model().objects.get(pk=admin_user.pk).check_password("pw")


def test_common_and_numeric_passwords_are_still_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("123456789012", "password1234"):
        with pytest.raises(ValidationError):
            validate_password(weak)
