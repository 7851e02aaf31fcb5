"""Who sees which wishes and claims, role by role: a claimer sees the board (every open wish)
and what they claimed, never another's claim nor the archive; a community its own wishes, a
street its communities', the city all of them."""

import pytest

from archives import scope
from archives.models import Resident
from tests import factories
from tests.wishes.factories import wanted_by
from wishes import selectors, services
from wishes.models import Claim


@pytest.fixture
def board(city):
    """Wishes in every state across the three communities."""
    wishes = {
        "a_open": city.post(title="A待认领", wanted_by=wanted_by(30)),
        "a_party": city.post(title="A党员认领"),
        "a_fulfilled": city.post(title="A已实现"),
        "b_open": city.post(community=city.neighbour, title="B待认领", wanted_by=wanted_by(5)),
        "b_volunteer": city.post(community=city.neighbour, title="B志愿者认领"),
        "c_open": city.post(community=city.far, title="C待认领", wanted_by=wanted_by(15)),
        "c_housing": city.post(community=city.far, title="C住建局认领"),
        "c_reclaimed": city.post(community=city.far, title="C志愿者放弃后住建局认领"),
        "c_withdrawn": city.post(community=city.far, title="C已撤回"),
    }
    services.wish_claim(actor=city.party_member, wish=wishes["a_party"])
    claim = services.wish_claim(actor=city.party_member, wish=wishes["a_fulfilled"])
    services.claim_fulfil(actor=city.party_member, claim=claim, note="完成")
    services.claim_confirm(actor=city.staff, claim=claim)
    services.wish_claim(actor=city.volunteer, wish=wishes["b_volunteer"])
    services.wish_claim(actor=city.housing_staff, wish=wishes["c_housing"])
    # The volunteer claims twice and gives it up twice; then the department takes it.
    for _ in range(2):
        claim = services.wish_claim(actor=city.volunteer, wish=wishes["c_reclaimed"])
        services.claim_withdraw(actor=city.volunteer, claim=claim, reason="没时间")
    services.wish_claim(actor=city.housing_staff, wish=wishes["c_reclaimed"])
    services.wish_withdraw(
        actor=city.far_staff, wish=wishes["c_withdrawn"], version=0, reason="重复"
    )
    return wishes


OPEN = {"a_open", "b_open", "c_open"}
A = {"a_open", "a_party", "a_fulfilled"}
B = {"b_open", "b_volunteer"}
C = {"c_open", "c_housing", "c_reclaimed", "c_withdrawn"}

SEEN = {
    "volunteer": OPEN | {"b_volunteer", "c_reclaimed"},
    "party_member": OPEN | {"a_party", "a_fulfilled"},
    "housing_staff": OPEN | {"c_housing", "c_reclaimed"},
    "staff_claimer": A | OPEN,
    "staff": A,
    "neighbour_staff": B,
    "far_staff": C,
    "street_official": A | B,
    "other_street_official": C,
    "municipal": A | B | C,
    "admin": A | B | C,
    "pending": set(),
    "suspended": set(),
    "outsider": set(),
}


def names(board, queryset) -> list[str]:
    by_pk = {wish.pk: name for name, wish in board.items()}
    return sorted(by_pk[wish.pk] for wish in queryset)


def test_each_role_sees_its_wishes_once_and_the_pages_ask_the_same(city, board):
    # One board for every role (building it is the slow part).
    for who, expected in SEEN.items():
        user = getattr(city, who)
        seen = names(board, selectors.wishes_visible(user))
        # Once each: a wish claimed three times is not listed three times.
        assert seen == sorted(expected), who
        for name, wish in board.items():
            assert selectors.wish_visible(user, wish) == (name in expected), (who, name)


def claim_set(city, board, user) -> set[tuple[str, str]]:
    by_pk = {wish.pk: name for name, wish in board.items()}
    return {
        (by_pk[c.wish_id], c.claimer.user.username)
        for c in selectors.claims_visible(user).select_related("claimer__user")
    }


def test_a_claimer_sees_only_their_own_claims(city, board):
    assert claim_set(city, board, city.volunteer) == {
        ("b_volunteer", "volunteer"),
        ("c_reclaimed", "volunteer"),
    }
    assert selectors.claims_visible(city.volunteer).count() == 3  # two given up, one live
    assert claim_set(city, board, city.housing_staff) == {
        ("c_housing", "housing"),
        ("c_reclaimed", "housing"),
    }


def test_a_community_sees_every_claim_on_its_wishes_and_no_other(city, board):
    assert claim_set(city, board, city.far_staff) == {
        ("c_housing", "housing"),
        ("c_reclaimed", "volunteer"),
        ("c_reclaimed", "housing"),
    }
    assert claim_set(city, board, city.staff) == {
        ("a_party", "party"),
        ("a_fulfilled", "party"),
    }


def test_a_street_sees_the_claims_of_its_communities_and_the_city_all(city, board):
    street = claim_set(city, board, city.street_official)
    assert {name for name, _who in street} == {"a_party", "a_fulfilled", "b_volunteer"}
    assert selectors.claims_visible(city.municipal).count() == Claim.objects.count()
    assert selectors.claims_visible(city.pending).count() == 0
    assert selectors.claims_visible(city.outsider).count() == 0


def test_the_board_shows_open_wishes_soonest_wanted_first_to_claimers_only(city, board):
    expected = ["b_open", "c_open", "a_open"]
    for who in ("volunteer", "party_member", "housing_staff", "staff_claimer"):
        by_pk = {wish.pk: name for name, wish in board.items()}
        assert [by_pk[w.pk] for w in selectors.board_wishes(getattr(city, who))] == expected
    for who in ("staff", "street_official", "municipal", "pending", "suspended", "outsider"):
        assert not selectors.board_wishes(getattr(city, who)).exists(), who


def test_a_wish_claimed_meanwhile_leaves_the_board(city, board):
    services.wish_claim(actor=city.party_member, wish=board["b_open"])
    by_pk = {wish.pk: name for name, wish in board.items()}
    assert [by_pk[w.pk] for w in selectors.board_wishes(city.volunteer)] == ["c_open", "a_open"]
    assert not selectors.wish_visible(city.volunteer, board["b_open"])


def test_claimer_of_is_the_approved_registration_only(city):
    assert selectors.claimer_of(city.volunteer).name == "志愿者小陈"
    assert selectors.claimer_of(city.housing_staff).department == city.housing
    for who in ("pending", "suspended", "refused", "outsider", "staff"):
        assert selectors.claimer_of(getattr(city, who)) is None, who


def test_a_claimer_sees_no_resident_data(city):
    resident = factories.make_resident(grid=city.grid, name="张建国", phone="13800001111")
    wish = city.post(resident=resident)
    for who in ("volunteer", "party_member"):
        user = getattr(city, who)
        assert selectors.wish_visible(user, wish)
        # Nothing of the archive: not the resident, not their household.
        assert not scope.restrict(Resident.objects.all(), user).exists(), who
        assert selectors.resident_first_name(wish) == "建国"
