"""The steps on a wish's page, posted as the page posts them: each person sees the buttons the
rules allow (``wish_actions``) and nothing else; a step the page would not offer is refused
with a message and changes nothing; an edit on a version someone else changed meanwhile is
refused; an outsider gets a 404."""

import pytest
from django.urls import reverse

from tests.wishes.admin_city import jpeg, wish_city_fixture  # noqa: F401  (the fixture)
from wishes import services
from wishes.models import Claim, ClaimState, Wish, WishPhoto, WishState

pytestmark = pytest.mark.django_db


def page_url(wish) -> str:
    return reverse("admin:wishes_wish_change", args=[wish.pk])


def step_url(wish, action: str) -> str:
    return reverse("admin:wishes_wish_step", args=[wish.pk, action])


def snapshot() -> list:
    return [
        list(Wish.objects.order_by("pk").values()),
        list(Claim.objects.order_by("pk").values()),
        list(WishPhoto.objects.order_by("pk").values_list("pk", flat=True)),
        [Wish.history.count(), Claim.history.count()],
    ]


def buttons(client, wish) -> set[str]:
    content = client.get(page_url(wish)).content.decode()
    return {
        action
        for action in ("edit", "withdraw", "claim", "withdraw_claim", "fulfil", "confirm", "return")
        if f'value="{action}"' in content
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_each_person_sees_the_steps_the_rules_allow(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.staff)
    assert buttons(client, wish) == {"edit", "withdraw"}
    client.force_login(wish_city.volunteer)
    assert buttons(client, wish) == {"claim"}
    client.force_login(wish_city.street_official)
    assert buttons(client, wish) == set()
    claim = services.wish_claim(actor=wish_city.volunteer, wish=wish)
    assert buttons(client, wish) == set()
    client.force_login(wish_city.volunteer)
    assert buttons(client, wish) == {"withdraw_claim", "fulfil"}
    client.force_login(wish_city.staff)
    assert buttons(client, wish) == {"withdraw"}
    services.claim_fulfil(actor=wish_city.volunteer, claim=claim, note="已清理")
    assert buttons(client, wish) == {"confirm", "return"}
    client.force_login(wish_city.volunteer)
    assert buttons(client, wish) == set()


def test_the_whole_way_by_posting_the_pages_forms(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.volunteer)
    response = client.post(step_url(wish, "claim"), {"seen_version": wish.version})
    assert response.status_code == 302 and response["Location"] == page_url(wish)
    claim = Claim.objects.get(wish=wish)
    assert claim.claimer == wish_city.volunteer_claimer and claim.state == ClaimState.CLAIMED
    wish.refresh_from_db()
    response = client.post(
        step_url(wish, "fulfil"),
        {"seen_version": wish.version, "note": "杂草已清理干净", "photos": [jpeg("done.jpg")]},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.DONE and claim.done_note == "杂草已清理干净"
    assert claim.photos.count() == 1
    client.force_login(wish_city.staff)
    wish.refresh_from_db()
    response = client.post(step_url(wish, "confirm"), {"seen_version": wish.version})
    assert response.status_code == 302
    claim.refresh_from_db()
    wish.refresh_from_db()
    assert claim.state == ClaimState.CONFIRMED and claim.points == wish_city.category.points
    assert wish.state == WishState.FULFILLED


def test_community_staff_return_a_done_claim_with_a_reason(client, wish_city):
    wish = wish_city.post()
    claim = services.wish_claim(actor=wish_city.volunteer, wish=wish)
    services.claim_fulfil(actor=wish_city.volunteer, claim=claim, note="做了")
    client.force_login(wish_city.staff)
    wish.refresh_from_db()
    before = snapshot()
    response = client.post(step_url(wish, "return"), {"seen_version": wish.version, "reason": ""})
    assert response.status_code == 200  # the form again: the reason is required
    assert snapshot() == before
    response = client.post(
        step_url(wish, "return"), {"seen_version": wish.version, "reason": "东侧还没清理"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.CLAIMED and claim.returns == 1


def test_fulfilling_without_a_note_is_refused_and_changes_nothing(client, wish_city):
    wish = wish_city.post()
    services.wish_claim(actor=wish_city.volunteer, wish=wish)
    wish.refresh_from_db()
    client.force_login(wish_city.volunteer)
    before = snapshot()
    response = client.post(step_url(wish, "fulfil"), {"seen_version": wish.version, "note": ""})
    assert response.status_code == 200
    assert "note" in response.context["step_forms"][-1].errors or any(
        f.errors for f in response.context["step_forms"]
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "who, action",
    [
        ("volunteer", "edit"),
        ("volunteer", "withdraw"),
        ("volunteer", "confirm"),
        ("staff", "claim"),
        ("staff", "fulfil"),
        ("street_official", "withdraw"),
        ("waiting_volunteer", "claim"),
    ],
)
def test_a_step_the_page_does_not_offer_is_refused_and_changes_nothing(
    client, wish_city, who, action
):
    wish = wish_city.post()
    client.force_login(getattr(wish_city, who))
    before = snapshot()
    data = {
        "seen_version": wish.version,
        "reason": "因为",
        "note": "做了",
        "title": "改过的标题",
        "description": "改过",
        "category": wish_city.category.pk,
        "place": "别处",
        "wanted_by": wish.wanted_by.isoformat(),
    }
    response = client.post(step_url(wish, action), data, follow=True)
    assert snapshot() == before
    assert response.status_code in (200, 403, 404)
    if response.status_code == 200:
        assert any(m for m in messages_of(response)), "the refusal says why"


def test_claiming_a_claimed_wish_says_so_and_changes_nothing(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.department_staff)
    services.wish_claim(actor=wish_city.volunteer, wish=wish)
    before = snapshot()
    response = client.post(step_url(wish, "claim"), {"seen_version": wish.version}, follow=True)
    assert snapshot() == before
    assert response.status_code in (200, 404)


def test_an_edit_on_a_version_changed_meanwhile_is_refused(client, wish_city):
    wish = wish_city.post(title="修车棚")
    seen = wish.version
    services.wish_edit(
        actor=wish_city.staff, wish=wish, version=seen, reason="地点更准确", place="5号楼车棚"
    )
    client.force_login(wish_city.staff)
    before = snapshot()
    response = client.post(
        step_url(wish, "edit"),
        {
            "seen_version": seen,
            "reason": "改标题",
            "title": "修自行车棚",
            "description": wish.description,
            "category": wish_city.category.pk,
            "place": "5号楼车棚",
            "wanted_by": wish.wanted_by.isoformat(),
        },
        follow=True,
    )
    assert snapshot() == before
    assert messages_of(response), "the clash is reported"
    wish.refresh_from_db()
    assert wish.title == "修车棚"


def test_an_edit_on_the_version_seen_is_saved_with_its_reason(client, wish_city):
    wish = wish_city.post(title="修车棚")
    client.force_login(wish_city.staff)
    response = client.post(
        step_url(wish, "edit"),
        {
            "seen_version": wish.version,
            "reason": "写清楚",
            "title": "修自行车棚",
            "description": wish.description,
            "category": wish_city.category.pk,
            "place": wish.place,
            "wanted_by": wish.wanted_by.isoformat(),
        },
    )
    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.title == "修自行车棚"
    assert "写清楚" in wish.history.first().history_change_reason


def test_withdrawing_needs_a_reason_and_ends_the_wish(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.staff)
    before = snapshot()
    client.post(step_url(wish, "withdraw"), {"seen_version": wish.version, "reason": ""})
    assert snapshot() == before
    client.post(step_url(wish, "withdraw"), {"seen_version": wish.version, "reason": "居民搬走了"})
    wish.refresh_from_db()
    assert wish.state == WishState.WITHDRAWN and wish.withdraw_reason == "居民搬走了"


def test_a_claimer_withdraws_their_claim_with_a_reason_and_the_wish_reopens(client, wish_city):
    wish = wish_city.post()
    claim = services.wish_claim(actor=wish_city.volunteer, wish=wish)
    client.force_login(wish_city.volunteer)
    wish.refresh_from_db()
    client.post(step_url(wish, "withdraw_claim"), {"seen_version": wish.version, "reason": "出差"})
    claim.refresh_from_db()
    wish.refresh_from_db()
    assert claim.state == ClaimState.WITHDRAWN and wish.state == WishState.OPEN


def test_an_outsider_gets_a_404_and_nothing_changes(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.other_staff)
    before = snapshot()
    response = client.post(step_url(wish, "withdraw"), {"seen_version": 0, "reason": "x"})
    assert response.status_code == 404
    assert snapshot() == before


def test_steps_answer_only_posts_and_known_actions(client, wish_city):
    wish = wish_city.post()
    client.force_login(wish_city.staff)
    assert client.get(step_url(wish, "withdraw")).status_code == 405
    assert client.post(step_url(wish, "explode"), {}).status_code == 404
    assert client.post(page_url(wish), {}).status_code == 405
