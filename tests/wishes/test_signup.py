"""The public volunteer sign-up page: reached from the login page, it makes an inactive account
and a pending volunteer only; a honeypot, a minimum fill time and a per-address limit keep
scripts out without a CAPTCHA."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest

from portal.roles import COMMUNITY_STAFF
from tests import factories
from wishes.models import Claimer, ClaimerStatus
from wishes.services.claimers import claimer_decide

pytestmark = pytest.mark.django_db

PASSWORD = "lanterns-over-the-river"
SIGN_UP = "/volunteers/sign-up/"


@pytest.fixture
def communities(db):
    first = factories.make_grid(code="G1", street_code="S1").community
    second = factories.make_grid(code="G2", street_code="S2").community
    return first, second


def started(seconds_ago: float = 60) -> str:
    return signing.dumps(time.time() - seconds_ago, salt="wishes.signup.started")


def form(community, **overrides) -> dict:
    return {
        "name": "李春花",
        "phone": "139 0433 1234",
        "community": community.pk,
        "skills": "理发",
        "username": "chunhua",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "website": "",
        "started": started(),
        **overrides,
    }


def nobody_signed_up() -> bool:
    return not Claimer.objects.exists() and not get_user_model().objects.exists()


def test_the_login_page_links_to_the_sign_up(client):
    login = client.get("/admin/login/").content.decode()
    assert 'href="/volunteers/sign-up/"' in login
    assert "志愿者注册" in login


def test_the_page_offers_every_community_and_hides_the_honeypot_without_inline_style(
    client, communities
):
    page = client.get(SIGN_UP)
    assert page.status_code == 200
    html = page.content.decode()
    for community in communities:
        assert community.name in html
    assert 'name="website"' in html
    assert "style=" not in html
    assert "<script" not in html.split("</head>")[1]
    assert "wishes/signup.css" in html


def test_a_sign_up_creates_a_pending_volunteer_with_an_inactive_account_only(client, communities):
    answer = client.post(SIGN_UP, form(communities[0]))
    assert answer.status_code == 302
    done = client.get(answer["Location"]).content.decode()
    assert "社区工作人员会拨打您填写的手机号码" in done
    claimer = Claimer.objects.get()
    assert (claimer.status, claimer.phone, claimer.community) == (
        ClaimerStatus.PENDING,
        "13904331234",
        communities[0],
    )
    user = claimer.user
    assert (user.is_active, user.is_staff, user.is_superuser) == (False, False, False)
    assert not user.groups.exists() and not user.user_permissions.exists()
    # It cannot sign in until approved.
    assert not client.login(request=HttpRequest(), username="chunhua", password=PASSWORD)


def test_a_filled_honeypot_is_answered_as_a_success_and_creates_nothing(client, communities):
    answer = client.post(SIGN_UP, form(communities[0], website="http://spam.example"))
    assert answer.status_code == 302
    assert nobody_signed_up()


def test_a_form_sent_too_fast_is_refused_and_creates_nothing(client, communities):
    answer = client.post(SIGN_UP, form(communities[0], started=started(seconds_ago=0.5)))
    assert answer.status_code == 200
    assert "太快" in answer.content.decode()
    assert nobody_signed_up()
    # The page came back with a fresh timestamp in it.
    fresh = re.search(r'name="started" value="([^"]+)"', answer.content.decode())[1]
    assert signing.loads(fresh, salt="wishes.signup.started") > time.time() - 5


def test_a_forged_timestamp_is_refused(client, communities):
    answer = client.post(SIGN_UP, form(communities[0], started="1700000000"))
    assert answer.status_code == 200
    assert nobody_signed_up()


def test_a_flood_from_one_address_gets_429_and_creates_nothing_more(client, communities, settings):
    settings.VOLUNTEER_SIGN_UPS_PER_HOUR = 3
    for n in range(3):
        answer = client.post(
            SIGN_UP, form(communities[0], username=f"v{n}", phone=f"1390433123{n}")
        )
        assert answer.status_code == 302
    flood = client.post(SIGN_UP, form(communities[0], username="v9", phone="13904331239"))
    assert flood.status_code == 429
    assert "太多" in flood.content.decode()
    assert Claimer.objects.count() == 3
    assert not get_user_model().objects.filter(username="v9").exists()
    # Another address is not held up by this one.
    other = client.post(
        SIGN_UP,
        form(communities[0], username="v8", phone="13904331238"),
        REMOTE_ADDR="10.1.2.3",
    )
    assert other.status_code == 302


def test_honeypot_hits_count_towards_the_address_limit(client, communities, settings):
    settings.VOLUNTEER_SIGN_UPS_PER_HOUR = 2
    for _n in range(2):
        client.post(SIGN_UP, form(communities[0], website="x"))
    assert client.post(SIGN_UP, form(communities[0])).status_code == 429
    assert nobody_signed_up()


def test_a_second_sign_up_with_a_pending_phone_is_refused(client, communities):
    client.post(SIGN_UP, form(communities[0]))
    again = client.post(SIGN_UP, form(communities[1], username="another", phone="13904331234"))
    assert again.status_code == 200
    assert "等待" in again.content.decode()
    assert Claimer.objects.count() == 1


def test_a_bad_phone_is_refused_on_the_form(client, communities):
    answer = client.post(SIGN_UP, form(communities[0], phone="12345"))
    assert answer.status_code == 200
    assert "11" in answer.content.decode()
    assert nobody_signed_up()


def test_differing_passwords_and_a_weak_one_are_refused(client, communities):
    differing = client.post(SIGN_UP, form(communities[0], password2="something-else-entirely"))
    assert differing.status_code == 200
    weak = client.post(SIGN_UP, form(communities[0], password1="12345678", password2="12345678"))
    assert weak.status_code == 200
    assert nobody_signed_up()


def test_a_taken_username_is_refused(client, communities):
    factories.make_user("chunhua")
    answer = client.post(SIGN_UP, form(communities[0]))
    assert answer.status_code == 200
    assert not Claimer.objects.exists()


def test_no_role_until_the_own_community_approves(client, communities):
    client.post(SIGN_UP, form(communities[0]))
    claimer = Claimer.objects.get()
    other_staff = factories.make_user("cs-2", role=COMMUNITY_STAFF)
    factories.grant(other_staff, communities[1])
    with pytest.raises(Exception, match="社区"):
        claimer_decide(actor=other_staff, claimer=claimer, approve=True)
    claimer.user.refresh_from_db()
    assert not claimer.user.is_active and not claimer.user.groups.exists()
    staff = factories.make_user("cs-1", role=COMMUNITY_STAFF)
    factories.grant(staff, communities[0])
    claimer_decide(actor=staff, claimer=claimer, approve=True)
    assert client.login(request=HttpRequest(), username="chunhua", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    # A volunteer sees nothing of the archive.
    for page in ("resident", "household", "building"):
        assert client.get(f"/admin/archives/{page}/").status_code == 403
