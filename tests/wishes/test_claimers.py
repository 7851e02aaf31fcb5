"""Claimers: a volunteer's sign-up, the community's decision and phone check, the claimers
administrators and community staff create, and who sees which claimer."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from archives.model_meta import history_manager
from archives.models import Department
from portal.roles import COMMUNITY_STAFF, PARTY_MEMBER, STREET_OFFICIAL, VOLUNTEER
from tests import factories
from wishes.models import Claimer, ClaimerKind, ClaimerStatus
from wishes.selectors.claimers import claimers_to_decide, claimers_visible
from wishes.services.claimers import (
    claimer_account_create,
    claimer_create,
    claimer_decide,
    claimer_phone_verify,
    claimer_sign_up,
    phone_normalize,
)

pytestmark = pytest.mark.django_db

PASSWORD = "lanterns-over-the-river"


@pytest.fixture
def place(db):
    """Two communities in two streets, staff for each, a street official of the first."""
    first = factories.make_grid(code="G1", street_code="S1").community
    second = factories.make_grid(code="G2", street_code="S2").community
    staff = factories.make_user("cs-1", role=COMMUNITY_STAFF)
    factories.grant(staff, first)
    other_staff = factories.make_user("cs-2", role=COMMUNITY_STAFF)
    factories.grant(other_staff, second)
    street = factories.make_user("so-1", role=STREET_OFFICIAL)
    factories.grant(street, first.street)
    return {
        "community": first,
        "other_community": second,
        "staff": staff,
        "other_staff": other_staff,
        "street": street,
    }


def sign_up(community, **overrides):
    fields = {
        "name": "李春花",
        "phone": "13904331234",
        "community": community,
        "skills": "理发, 修自行车",
        "username": "chunhua",
        "password": PASSWORD,
        **overrides,
    }
    return claimer_sign_up(**fields)


def test_a_sign_up_makes_an_inactive_account_with_no_role_and_a_pending_volunteer(place):
    claimer = sign_up(place["community"])
    user = claimer.user
    assert (user.is_active, user.is_staff, user.is_superuser) == (False, False, False)
    assert not user.groups.exists()
    assert not user.user_permissions.exists()
    assert user.check_password(PASSWORD)
    assert (claimer.kind, claimer.status) == (ClaimerKind.VOLUNTEER, ClaimerStatus.PENDING)
    assert claimer.phone_verified_at is None


@pytest.mark.parametrize(
    "typed",
    ["１３９０４３３１２３４", "139 0433 1234", "139-0433-1234", "+86 139 0433 1234"],
)
def test_phone_numbers_are_stored_as_eleven_ascii_digits(typed):
    assert phone_normalize(typed) == "13904331234"


@pytest.mark.parametrize("typed", ["1390433123", "12904331234", "0433-3221234", "abc", ""])
def test_a_number_that_is_not_a_mainland_mobile_is_refused(typed):
    with pytest.raises(ValidationError):
        phone_normalize(typed)


def test_a_bad_sign_up_names_each_field_and_creates_nothing(place):
    factories.make_user("taken")
    with pytest.raises(ValidationError) as refused:
        sign_up(place["community"], name=" ", phone="12345", username="TAKEN", password="123")
    assert set(refused.value.message_dict) == {"name", "phone", "username", "password"}
    assert not Claimer.objects.exists()
    assert get_user_model().objects.count() == 4  # the three staff and "taken"


def test_one_pending_sign_up_per_phone_number(place):
    sign_up(place["community"])
    with pytest.raises(ValidationError) as refused:
        sign_up(place["community"], username="someone-else", phone="139 0433 1234")
    assert "phone" in refused.value.message_dict
    assert Claimer.objects.count() == 1


def test_the_community_approves_a_volunteer_who_can_then_sign_in_as_a_volunteer(place):
    claimer = sign_up(place["community"])
    claimer_decide(actor=place["staff"], claimer=claimer, approve=True)
    claimer.refresh_from_db()
    user = claimer.user
    assert claimer.status == ClaimerStatus.APPROVED
    assert claimer.decided_by == place["staff"]
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, False)
    assert list(user.groups.values_list("name", flat=True)) == [VOLUNTEER]
    assert user.has_perm("wishes.claim_wish")
    assert not user.has_perm("archives.view_resident")
    entry = history_manager(Claimer).filter(id=claimer.pk).latest("history_id")
    assert entry.history_user == place["staff"]
    assert entry.status == ClaimerStatus.APPROVED


def test_a_refusal_needs_a_reason_and_leaves_the_account_inactive(place):
    claimer = sign_up(place["community"])
    with pytest.raises(ValidationError):
        claimer_decide(actor=place["staff"], claimer=claimer, approve=False)
    claimer_decide(actor=place["staff"], claimer=claimer, approve=False, note="电话无法接通")
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.REFUSED
    assert claimer.decision_note == "电话无法接通"
    assert not claimer.user.is_active
    assert not claimer.user.groups.exists()
    entry = history_manager(Claimer).filter(id=claimer.pk).latest("history_id")
    assert "电话无法接通" in entry.history_change_reason


def test_staff_of_another_community_cannot_approve_and_nothing_changes(place):
    claimer = sign_up(place["community"])
    with pytest.raises(PermissionDenied):
        claimer_decide(actor=place["other_staff"], claimer=claimer, approve=True)
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.PENDING
    assert not claimer.user.is_active
    assert not claimer.user.groups.exists()


def test_a_decided_sign_up_cannot_be_decided_again(place):
    claimer = sign_up(place["community"])
    claimer_decide(actor=place["staff"], claimer=claimer, approve=False, note="不在本社区居住")
    with pytest.raises(ValidationError):
        claimer_decide(actor=place["staff"], claimer=claimer, approve=True)
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.REFUSED
    assert not claimer.user.is_active


def test_the_community_verifies_the_phone_and_others_cannot(place):
    claimer = sign_up(place["community"])
    with pytest.raises(PermissionDenied):
        claimer_phone_verify(actor=place["other_staff"], claimer=claimer)
    claimer.refresh_from_db()
    assert claimer.phone_verified_at is None
    claimer_phone_verify(actor=place["staff"], claimer=claimer)
    claimer.refresh_from_db()
    assert claimer.phone_verified_at is not None


def test_a_street_official_follows_claimers_but_cannot_approve(place):
    claimer = sign_up(place["community"])
    assert list(claimers_visible(place["street"])) == [claimer]
    assert not claimers_to_decide(place["street"]).exists()
    with pytest.raises(PermissionDenied):
        claimer_decide(actor=place["street"], claimer=claimer, approve=True)


def test_each_community_sees_and_decides_only_its_own_sign_ups(place):
    ours = sign_up(place["community"])
    theirs = sign_up(place["other_community"], username="other", phone="13812345678", name="王大力")
    assert list(claimers_visible(place["staff"])) == [ours]
    assert list(claimers_to_decide(place["staff"])) == [ours]
    assert list(claimers_to_decide(place["other_staff"])) == [theirs]


def test_a_volunteer_sees_only_their_own_claimer_row(place):
    claimer = sign_up(place["community"])
    sign_up(place["community"], username="other", phone="13812345678", name="王大力")
    claimer_decide(actor=place["staff"], claimer=claimer, approve=True)
    user = get_user_model().objects.get(pk=claimer.user_id)
    # The role holds no view_claimer: the volunteer sees no list of claimers at all.
    assert not claimers_visible(user).exists()


def test_administrators_create_department_claimers_and_community_staff_cannot(place, admin_user):
    health = Department.objects.create(code="health", name="卫健局", serves_whole_city=True)
    staff_account = factories.make_user("health-1")
    fields = {
        "user": staff_account,
        "kind": ClaimerKind.DEPARTMENT,
        "name": "刘医生",
        "phone": "13600001111",
        "community": place["community"],
        "department": health,
    }
    with pytest.raises(PermissionDenied):
        claimer_create(actor=place["staff"], **fields)
    assert not Claimer.objects.exists()
    claimer = claimer_create(actor=admin_user, **fields)
    assert (claimer.status, claimer.department) == (ClaimerStatus.APPROVED, health)
    assert staff_account.has_perm("wishes.claim_wish")


def test_community_staff_create_party_members_of_their_community_only(place):
    made = claimer_account_create(
        actor=place["staff"],
        username="party-1",
        password=PASSWORD,
        kind=ClaimerKind.PARTY_MEMBER,
        name="赵红梅",
        phone="13700002222",
        community=place["community"],
        workplace="市税务局",
    )
    assert made.status == ClaimerStatus.APPROVED
    assert made.department is None
    assert list(made.user.groups.values_list("name", flat=True)) == [PARTY_MEMBER]
    with pytest.raises(PermissionDenied):
        claimer_account_create(
            actor=place["staff"],
            username="party-2",
            password=PASSWORD,
            kind=ClaimerKind.PARTY_MEMBER,
            name="钱多多",
            phone="13700003333",
            community=place["other_community"],
        )
    assert not get_user_model().objects.filter(username="party-2").exists()


def test_a_bad_phone_on_a_created_claimer_leaves_no_account_behind(place):
    with pytest.raises(ValidationError):
        claimer_account_create(
            actor=place["staff"],
            username="party-3",
            password=PASSWORD,
            kind=ClaimerKind.PARTY_MEMBER,
            name="孙悦",
            phone="123",
            community=place["community"],
        )
    assert not get_user_model().objects.filter(username="party-3").exists()


# The claimers' page ---------------------------------------------------------------------------

CLAIMERS = "/admin/wishes/claimer/"


def test_community_staff_list_their_claimers_with_sign_ups_waiting_first(place, client):
    approved = sign_up(place["community"], username="early", phone="13800000001", name="甲")
    claimer_decide(actor=place["staff"], claimer=approved, approve=True)
    waiting = sign_up(place["community"], username="late", phone="13800000002", name="乙")
    sign_up(place["other_community"], username="far", phone="13800000003", name="丙")
    client.force_login(place["staff"])
    shown = list(client.get(CLAIMERS).context["cl"].result_list)
    assert shown == [waiting, approved]


def test_community_staff_verify_the_phone_and_approve_on_the_claimer_page(place, client):
    claimer = sign_up(place["community"])
    client.force_login(place["staff"])
    page = f"{CLAIMERS}{claimer.pk}/change/"
    assert client.get(page).status_code == 200
    answer = client.post(page, {"verify_phone": "on", "decision": "approve", "note": ""})
    assert answer.status_code == 302
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.APPROVED
    assert claimer.phone_verified_at is not None
    assert claimer.user.groups.filter(name=VOLUNTEER).exists()


def test_a_refusal_on_the_page_needs_a_reason(place, client):
    claimer = sign_up(place["community"])
    client.force_login(place["staff"])
    page = f"{CLAIMERS}{claimer.pk}/change/"
    assert client.post(page, {"decision": "refuse", "note": ""}).status_code == 200
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.PENDING
    client.post(page, {"decision": "refuse", "note": "非本社区居民"})
    claimer.refresh_from_db()
    assert (claimer.status, claimer.decision_note) == (ClaimerStatus.REFUSED, "非本社区居民")


def test_staff_of_another_community_cannot_open_or_decide_a_sign_up(place, client):
    claimer = sign_up(place["community"])
    client.force_login(place["other_staff"])
    page = f"{CLAIMERS}{claimer.pk}/change/"
    assert client.get(page).status_code in (302, 403, 404)
    client.post(page, {"decision": "approve"})
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.PENDING


def test_the_street_reads_the_claimer_page_without_deciding(place, client):
    claimer = sign_up(place["community"])
    client.force_login(place["street"])
    page = client.get(f"{CLAIMERS}{claimer.pk}/change/")
    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    client.post(f"{CLAIMERS}{claimer.pk}/change/", {"decision": "approve"})
    claimer.refresh_from_db()
    assert claimer.status == ClaimerStatus.PENDING


def test_an_administrator_adds_a_department_claimer_with_a_new_account(place, admin_client):
    health = Department.objects.create(code="health", name="卫健局", serves_whole_city=True)
    answer = admin_client.post(
        f"{CLAIMERS}add/",
        {
            "kind": "department",
            "name": "刘医生",
            "phone": "136 0000 1111",
            "community": place["community"].pk,
            "department": health.pk,
            "workplace": "",
            "username": "dr-liu",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    claimer = Claimer.objects.get(user__username="dr-liu")
    assert (claimer.department, claimer.phone, claimer.status) == (
        health,
        "13600001111",
        ClaimerStatus.APPROVED,
    )


def test_the_add_page_shows_a_weak_password_beside_the_field(place, client):
    client.force_login(place["staff"])
    answer = client.post(
        f"{CLAIMERS}add/",
        {
            "kind": "party_member",
            "name": "赵红梅",
            "phone": "13700002222",
            "community": place["community"].pk,
            "workplace": "市税务局",
            "username": "party-1",
            "password": "12345678",
        },
    )
    assert answer.status_code == 200
    assert "password" in answer.context["adminform"].form.errors
    assert not Claimer.objects.exists()


def test_a_username_with_spaces_or_slashes_is_refused(place):
    with pytest.raises(ValidationError) as refused:
        sign_up(place["community"], username="li chun/hua")
    assert "username" in refused.value.message_dict
    assert not Claimer.objects.exists()
