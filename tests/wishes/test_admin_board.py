"""The board for claimers, the love bank, the photos and the dashboard's panel: a claimer sees
the open wishes with the resident's first name only, filters them, and claims from the board;
the love bank ranks departments and people by month and for all time; photos are served only
to those who see the wish; the dashboard says what waits for whom."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.wishes.admin_city import jpeg, wish_city_fixture  # noqa: F401  (the fixture)
from wishes import services
from wishes.models import Claim, WishCategory

pytestmark = pytest.mark.django_db

BOARD = "/admin/wishes/wish/board/"
LOVE_BANK = "/admin/wishes/wish/love-bank/"


def test_the_board_shows_open_wishes_with_the_first_name_only(client, wish_city):
    wish = wish_city.post(title="陪老人看病", resident=wish_city.resident, photos=[jpeg()])
    claimed = wish_city.post(title="已认领的")
    services.wish_claim(actor=wish_city.department_staff, wish=claimed)
    client.force_login(wish_city.volunteer)
    response = client.get(BOARD)
    content = response.content.decode()
    assert response.status_code == 200
    assert wish.title in content and claimed.title not in content
    assert "秀英" in content and wish_city.resident.name not in content
    assert wish_city.resident.phone not in content
    assert reverse("admin:wishes_wish_photo", args=[wish.photos.get().pk]) in content
    assert reverse("admin:wishes_wish_step", args=[wish.pk, "claim"]) in content


def test_the_board_filters_by_community_category_and_date(client, wish_city):
    soon = wish_city.post(title="明天要的", wanted_by=timezone.localdate() + dt.timedelta(days=1))
    later = wish_city.post(
        title="下个月要的", wanted_by=timezone.localdate() + dt.timedelta(days=30)
    )
    other = wish_city.post(title="别的社区的", community=wish_city.other_community)
    talk = WishCategory.objects.create(code="talk", name="防诈宣传", points=3)
    lecture = wish_city.post(title="防诈讲座", category=talk)
    client.force_login(wish_city.volunteer)
    content = client.get(BOARD).content.decode()
    assert all(w.title in content for w in (soon, later, other, lecture))
    # The soonest wanted first.
    assert content.index(soon.title) < content.index(later.title)
    by_community = client.get(BOARD, {"community": wish_city.other_community.pk}).content.decode()
    assert other.title in by_community and soon.title not in by_community
    by_category = client.get(BOARD, {"category": talk.pk}).content.decode()
    assert lecture.title in by_category and soon.title not in by_category
    cutoff = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    by_date = client.get(BOARD, {"wanted_by": cutoff}).content.decode()
    assert soon.title in by_date and later.title not in by_date


def test_only_claimers_open_the_board(client, wish_city):
    wish_city.post()
    for user in (wish_city.staff, wish_city.street_official):
        client.force_login(user)
        assert client.get(BOARD).status_code == 403


def test_a_claimer_waiting_for_approval_sees_no_claim_button(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.waiting_volunteer)
    content = client.get(BOARD).content.decode()
    assert reverse("admin:wishes_wish_step", args=[wish.pk, "claim"]) not in content


def test_claiming_from_the_board_leads_to_the_wish_page(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.volunteer)
    response = client.post(
        reverse("admin:wishes_wish_step", args=[wish.pk, "claim"]), {"seen_version": wish.version}
    )
    assert response["Location"] == reverse("admin:wishes_wish_change", args=[wish.pk])
    assert Claim.objects.get(wish=wish).claimer == wish_city.volunteer_claimer
    # It leaves the board, and is on the claimer's list of claims.
    client.get(response["Location"])  # (the page shows the message of the claim)
    assert wish.title not in client.get(BOARD).content.decode()
    assert wish.title in client.get("/admin/wishes/claim/").content.decode()


def test_my_claims_lists_ones_own_claims_only(client, wish_city):
    mine = wish_city.post(title="我认领的")
    theirs = wish_city.post(title="部门认领的")
    services.wish_claim(actor=wish_city.volunteer, wish=mine)
    services.wish_claim(actor=wish_city.department_staff, wish=theirs)
    client.force_login(wish_city.volunteer)
    content = client.get("/admin/wishes/claim/").content.decode()
    assert mine.title in content and theirs.title not in content
    other_claim = Claim.objects.get(wish=theirs)
    response = client.get(reverse("admin:wishes_claim_change", args=[other_claim.pk]))
    assert response.status_code == 404


def confirmed(city, *, title: str, by, at: dt.datetime) -> Claim:
    wish = city.post(title=title)
    claim = services.wish_claim(actor=by, wish=wish, at=at)
    services.claim_fulfil(actor=by, claim=claim, note="完成", at=at)
    return services.claim_confirm(actor=city.staff, claim=claim, at=at)


def test_the_love_bank_ranks_people_and_departments_by_month_and_all_time(client, wish_city):
    now = timezone.now()
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    last_month_at = timezone.make_aware(dt.datetime.combine(last_month, dt.time(10)))
    confirmed(wish_city, title="一", by=wish_city.volunteer, at=now)
    confirmed(wish_city, title="二", by=wish_city.department_staff, at=last_month_at)
    client.force_login(wish_city.volunteer)
    response = client.get(LOVE_BANK)
    assert response.status_code == 200
    content = response.content.decode()
    assert "张伟" in content and wish_city.department.name in content
    rankings = {slug: rows for _, slug, rows in response.context["rankings"]}
    assert [r.name for r in rankings["people-month"]] == ["张伟"]
    assert rankings["departments-month"] == []
    assert [r.name for r in rankings["departments-all"]] == [wish_city.department.name]
    assert response.context["own"]["points"] == wish_city.category.points
    picked = client.get(LOVE_BANK, {"month": f"{last_month:%Y-%m}"})
    rankings = {slug: rows for _, slug, rows in picked.context["rankings"]}
    assert [r.name for r in rankings["departments-month"]] == [wish_city.department.name]
    assert rankings["people-month"] == []


def test_a_bad_month_shows_this_month(client, wish_city):
    client.force_login(wish_city.staff)
    response = client.get(LOVE_BANK, {"month": "2026-13"})
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)


def test_photos_are_served_only_to_those_who_see_the_wish(client, wish_city):
    wish = wish_city.post(photos=[jpeg()])
    photo = wish.photos.get()
    url = reverse("admin:wishes_wish_photo", args=[photo.pk])
    for user, status in (
        (wish_city.staff, 200),
        (wish_city.volunteer, 200),
        (wish_city.other_staff, 404),
        (wish_city.waiting_volunteer, 404),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_the_dashboard_shows_staff_the_done_claims_and_claimers_their_claims(client, wish_city):
    wish = wish_city.post(title="修车棚")
    claim = services.wish_claim(actor=wish_city.volunteer, wish=wish)
    client.force_login(wish_city.volunteer)
    content = client.get("/admin/").content.decode()
    assert "wishes-to-fulfil" in content and wish.title in content
    assert reverse("admin:wishes_wish_board") in content
    services.claim_fulfil(actor=wish_city.volunteer, claim=claim, note="修好了")
    client.force_login(wish_city.staff)
    content = client.get("/admin/").content.decode()
    assert "wishes-to-confirm" in content and wish.title in content
    client.force_login(wish_city.other_staff)
    content = client.get("/admin/").content.decode()
    assert wish.title not in content


def test_the_index_links_claimers_to_the_board_and_the_love_bank(client, wish_city):
    client.force_login(wish_city.volunteer)
    content = client.get("/admin/").content.decode()
    assert f'href="{BOARD}"' in content and f'href="{LOVE_BANK}"' in content
    assert "/admin/archives/" not in content


def test_administrators_keep_the_categories_through_the_service(admin_client, client, wish_city):
    response = admin_client.post(
        "/admin/wishes/wishcategory/add/",
        {"code": "repair", "name": "维修", "points": 8, "active": "on", "change_reason": "新类别"},
    )
    assert response.status_code == 302
    repair = WishCategory.objects.get(code="repair")
    assert repair.points == 8 and repair.history.first().history_change_reason == "新类别"
    response = admin_client.post(
        reverse("admin:wishes_wishcategory_change", args=[repair.pk]),
        {"code": "repair", "name": "维修", "points": 10, "active": "on", "change_reason": "涨分"},
    )
    assert response.status_code == 302
    repair.refresh_from_db()
    assert repair.points == 10
    client.force_login(wish_city.staff)
    assert client.get("/admin/wishes/wishcategory/").status_code == 200
    response = client.post(
        reverse("admin:wishes_wishcategory_change", args=[repair.pk]),
        {"code": "repair", "name": "维修", "points": 99, "active": "on"},
    )
    assert response.status_code == 403
    repair.refresh_from_db()
    assert repair.points == 10
