"""The demo city's micro-wishes (``wishes.demo``, seeded by ``seed_demo``): claimers of every
kind with every department among them, three months of wishes in every community in every
state, a love bank with a few far ahead, volunteers waiting for approval, and the demo logins
of a volunteer and a party member, who see the board and nothing of the archive."""

import datetime as dt
import statistics
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.test.utils import override_settings
from django.utils import timezone

from archives.demo.city import CitySize
from archives.model_meta import history_manager
from archives.models import Community, Department
from portal.demo import demo_reset, demo_seed
from wishes.demo import CATEGORIES, LIVE_DAYS, WISH_DEMO_ACCOUNTS
from wishes.models import (
    Claim,
    Claimer,
    ClaimerKind,
    ClaimerStatus,
    ClaimState,
    Wish,
    WishCategory,
    WishState,
)

pytestmark = pytest.mark.django_db

#: A sixth of the default city: 7 communities, a sixth of its claimers.
SMALL = CitySize(residents=600, grids=21, streets=2)
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """Seeded once for the module, rolled back after its last test."""
    md5 = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), md5, transaction.atomic():
        yield demo_seed(seed=11, size=SMALL, today=TODAY)
        transaction.set_rollback(True)


def test_claimers_of_every_kind_and_every_department_claims(city):
    kinds = Counter(Claimer.objects.values_list("kind", flat=True))
    share = SMALL.grids / CitySize().grids
    assert kinds[ClaimerKind.PARTY_MEMBER] >= 1900 * share * 0.9
    assert kinds[ClaimerKind.VOLUNTEER] >= 4500 * share * 0.9
    departments = Department.objects.count()
    assert departments == round(64 * share)
    assert (
        Claimer.objects.filter(kind=ClaimerKind.DEPARTMENT).values("department").distinct().count()
        == departments
    )
    # Every claimer has its one history entry, and belongs to the role of its kind.
    assert history_manager(Claimer).values("id").distinct().count() == Claimer.objects.count()
    approved = Claimer.objects.filter(status=ClaimerStatus.APPROVED).select_related("user")
    for claimer in approved.order_by("?")[:50]:
        assert claimer.user.is_active and claimer.user.has_perm("wishes.claim_wish")


def test_volunteers_wait_for_their_community_with_inactive_accounts(city):
    waiting = Claimer.objects.filter(status=ClaimerStatus.PENDING).select_related("user")
    assert waiting.exists()
    for claimer in waiting:
        assert claimer.kind == ClaimerKind.VOLUNTEER
        assert not claimer.user.is_active and not claimer.user.groups.exists()


def test_three_months_of_wishes_in_every_community_in_every_state(city):
    wishes = Wish.objects.all()
    assert city.counts["wishes"] == wishes.count() > 100
    assert set(wishes.values_list("community", flat=True)) == set(
        Community.objects.values_list("pk", flat=True)
    )
    assert set(wishes.values_list("state", flat=True)) == set(WishState.values)
    assert set(Claim.objects.values_list("state", flat=True)) == set(ClaimState.values)
    first = timezone.localdate(wishes.order_by("posted_at")[0].posted_at)
    assert (first.year, first.month) == (2026, 8)
    assert timezone.localdate(wishes.order_by("-posted_at")[0].posted_at) < TODAY
    assert WishCategory.objects.count() == len(CATEGORIES)
    assert Claim.objects.filter(returns__gt=0).exists()
    # Fulfilled wishes are most of the old ones.
    old = wishes.filter(posted_at__lt=timezone.make_aware(dt.datetime(2026, 11, 1)))
    assert old.filter(state=WishState.FULFILLED).count() > old.count() * 0.7


def test_the_love_bank_has_leaders_far_ahead(city):
    confirmed = Claim.objects.filter(state=ClaimState.CONFIRMED)
    for group in ("department", "claimer"):
        points = sorted(
            (row["points"] for row in confirmed.values(group).annotate(points=Sum("points"))
             if row[group] is not None),
            reverse=True,
        )  # fmt: skip
        assert len(points) > 5
        assert points[0] >= 2.5 * statistics.median(points), (group, points[:10])
    for claim in confirmed.select_related("wish__category")[:100]:
        assert claim.points == claim.wish.category.points


def test_the_demo_logins_claim_from_the_board_and_see_no_resident(city, client):
    for username, _name, kind, _about in WISH_DEMO_ACCOUNTS:
        claimer = Claimer.objects.get(user__username=username)
        assert (claimer.kind, claimer.status) == (kind, ClaimerStatus.APPROVED)
        assert client.login(request=HttpRequest(), username=username, password="demo")
        assert client.get("/admin/").status_code == 200
        for page in ("resident", "household", "building", "visit"):
            assert client.get(f"/admin/archives/{page}/").status_code == 403
        client.logout()
    # The health department's demo account claims for its department.
    assert Claimer.objects.get(user__username="department").department.code == "health"


def test_history_entries_are_dated_when_each_step_was_taken(city):
    history = history_manager(Wish)
    # The last two weeks, through the services: an entry a step.
    since = timezone.make_aware(dt.datetime.combine(TODAY - LIVE_DAYS, dt.time(0)))
    recent = Wish.objects.filter(state=WishState.FULFILLED, posted_at__gte=since)
    assert recent.exists()
    for wish in recent:
        dates = list(
            history.filter(id=wish.pk).order_by("history_id").values_list("history_date", flat=True)
        )
        assert len(dates) >= 4  # posted, claimed, done, confirmed
        assert dates == sorted(dates)
        assert (dates[0], dates[-1]) == (wish.posted_at, wish.fulfilled_at)
    # The settled past: one entry each, dated the day it ended.
    first = Wish.objects.order_by("posted_at").first()
    entry = history.get(id=first.pk)
    ended = first.fulfilled_at or first.withdrawn_at
    assert timezone.localdate(entry.history_date) == timezone.localdate(ended)


def test_reset_removes_the_wishes_and_their_accounts(city):
    with transaction.atomic():
        demo_reset()
        assert not Wish.objects.exists() and not Claimer.objects.exists()
        assert not history_manager(Wish).exists()
        transaction.set_rollback(True)
