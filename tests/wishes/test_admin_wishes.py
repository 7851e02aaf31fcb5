"""The wishes list and the post form: community staff see their community's wishes in every
state and post new ones (with a resident of their own area and photos); a claimer's list names
no resident; wishes are never deleted."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.wishes.admin_city import jpeg, wish_city_fixture  # noqa: F401  (the fixture)
from wishes.models import Wish, WishState

pytestmark = pytest.mark.django_db

LIST = "/admin/wishes/wish/"
ADD = "/admin/wishes/wish/add/"


def post_data(city, **overrides) -> dict:
    data = {
        "community": city.community.pk,
        "title": "防诈骗讲座",
        "description": "给小区老人讲讲电信诈骗的常见套路",
        "category": city.category.pk,
        "place": "社区活动室",
        "wanted_by": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "resident": "",
    }
    data.update(overrides)
    return data


def test_community_staff_list_their_communitys_wishes_in_every_state(client, wish_city):
    mine = wish_city.post(title="修车棚")
    withdrawn = wish_city.post(title="修路灯")
    from wishes import services

    services.wish_withdraw(
        actor=wish_city.staff, wish=withdrawn, version=withdrawn.version, reason="已由物业修好"
    )
    other = wish_city.post(title="别的社区的心愿", community=wish_city.other_community)
    client.force_login(wish_city.staff)
    content = client.get(LIST).content.decode()
    assert mine.title in content and withdrawn.title in content
    assert other.title not in content
    filtered = client.get(LIST, {"state__exact": WishState.WITHDRAWN}).content.decode()
    assert withdrawn.title in filtered and mine.title not in filtered


def test_the_list_filters_by_category_and_community(client, wish_city):
    wish_city.post(title="修车棚")
    client.force_login(wish_city.staff)
    response = client.get(
        LIST,
        {
            "category__id__exact": wish_city.category.pk,
            "community__id__exact": wish_city.community.pk,
        },
    )
    assert response.status_code == 200 and "修车棚" in response.content.decode()
    # The community filter offers only the communities of the wishes one sees.
    assert wish_city.other_community.name not in response.content.decode()


def test_a_claimer_sees_open_wishes_without_the_resident(client, wish_city):
    wish = wish_city.post(title="陪老人看病", resident=wish_city.resident)
    client.force_login(wish_city.volunteer)
    content = client.get(LIST).content.decode()
    assert wish.title in content
    assert wish_city.resident.name not in content
    page = client.get(reverse("admin:wishes_wish_change", args=[wish.pk])).content.decode()
    assert wish_city.resident.name not in page
    assert "秀英" in page  # the first name only
    assert reverse("admin:archives_resident_change", args=[wish_city.resident.pk]) not in page


def test_community_staff_see_the_resident_in_full_with_a_link_to_the_file(client, wish_city):
    wish = wish_city.post(title="陪老人看病", resident=wish_city.resident)
    client.force_login(wish_city.staff)
    page = client.get(reverse("admin:wishes_wish_change", args=[wish.pk])).content.decode()
    assert wish_city.resident.name in page
    assert reverse("admin:archives_resident_change", args=[wish_city.resident.pk]) in page


def test_another_communitys_staff_cannot_open_the_wish(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.other_staff)
    assert client.get(reverse("admin:wishes_wish_change", args=[wish.pk])).status_code == 404


def test_community_staff_post_a_wish_with_a_resident_and_photos(client, wish_city):
    client.force_login(wish_city.staff)
    assert client.get(ADD).status_code == 200
    data = post_data(wish_city, resident=wish_city.resident.pk)
    data["photos"] = [jpeg("a.jpg"), jpeg("b.jpg", (10, 20, 30))]
    response = client.post(ADD, data)
    wish = Wish.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:wishes_wish_change", args=[wish.pk])
    assert wish.resident == wish_city.resident and wish.posted_by == wish_city.staff
    assert wish.state == WishState.OPEN and wish.photos.count() == 2


def test_the_post_form_refuses_a_community_outside_ones_scope(client, wish_city):
    client.force_login(wish_city.staff)
    response = client.post(ADD, post_data(wish_city, community=wish_city.other_community.pk))
    assert response.status_code == 200 and not Wish.objects.exists()
    assert "community" in response.context["form"].errors


def test_the_post_form_refuses_a_resident_outside_ones_area(client, wish_city):
    from tests import factories

    stranger = factories.make_resident(grid=wish_city.other_community.grids.get(), name="陌生人")
    client.force_login(wish_city.staff)
    response = client.post(ADD, post_data(wish_city, resident=stranger.pk))
    assert response.status_code == 200 and not Wish.objects.exists()
    assert "resident" in response.context["form"].errors


def test_the_post_form_refuses_a_file_that_is_no_photo(client, wish_city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(wish_city.staff)
    data = post_data(wish_city)
    data["photos"] = [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")]
    response = client.post(ADD, data)
    assert response.status_code == 200 and not Wish.objects.exists()
    assert "photos" in response.context["form"].errors


def test_claimers_and_streets_cannot_post(client, wish_city):
    for user in (wish_city.volunteer, wish_city.street_official):
        client.force_login(user)
        assert client.get(ADD).status_code == 403
        assert client.post(ADD, post_data(wish_city)).status_code == 403
    assert not Wish.objects.exists()


def test_wishes_are_never_deleted_not_even_by_an_administrator(client, wish_city, admin_client):
    wish = wish_city.post()
    delete = reverse("admin:wishes_wish_delete", args=[wish.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        LIST, {"action": "delete_selected", "_selected_action": [wish.pk], "post": "yes"}
    )
    client.force_login(wish_city.staff)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Wish.objects.filter(pk=wish.pk).exists()
    assert "delete_selected" not in admin_client.get(LIST).content.decode()


def test_the_wish_history_names_no_resident(client, wish_city):
    wish = wish_city.post(resident=wish_city.resident)
    client.force_login(wish_city.volunteer)
    response = client.get(reverse("admin:wishes_wish_history", args=[wish.pk]))
    assert response.status_code == 200
    assert wish_city.resident.name not in response.content.decode()


def test_the_resident_autocomplete_offers_only_residents_of_ones_area(client, wish_city):
    from tests import factories

    factories.make_resident(grid=wish_city.other_community.grids.get(), name="李陌生")
    client.force_login(wish_city.staff)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "wishes", "model_name": "wish", "field_name": "resident", "term": "李"},
    )
    assert response.status_code == 200
    names = [row["text"] for row in response.json()["results"]]
    assert names == [wish_city.resident.name]
    client.force_login(wish_city.volunteer)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "wishes", "model_name": "wish", "field_name": "resident", "term": "李"},
    )
    assert response.status_code == 403
