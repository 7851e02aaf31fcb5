"""A seeded city of random micro-wishes for the figures' tests: each wish's life is made up step
by step the way ``wishes.services`` records it (posted, claimed, withdrawn and claimed again,
done, returned, confirmed, or withdrawn by the community), written in bulk, and kept as plain
Python histories that the tests count with loops of their own."""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from archives.models import Community, Department
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

#: 1 September 2026, 00:00 in the portal's time zone (16:00 UTC the day before).
SEED_START = timezone.make_aware(dt.datetime(2026, 9, 1))
#: "Now" for the seeded city: nothing happens after it.
SEED_NOW = timezone.make_aware(dt.datetime(2026, 12, 10, 15, 0))
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]


@dataclass
class ClaimHistory:
    claimer: int
    department: int | None
    claimed_at: dt.datetime
    state: str = ClaimState.CLAIMED
    done_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    returns: int = 0
    points: int = 0


@dataclass
class WishHistory:
    community: int
    category: int
    posted_at: dt.datetime
    state: str = WishState.OPEN
    withdrawn_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    claims: list[ClaimHistory] = field(default_factory=list)


def _posted_at(rng: random.Random) -> dt.datetime:
    """Mostly anywhere in the seeded months, often in the night around a month's turn (the
    first hours of a local month are the last of the month before in UTC)."""
    if rng.random() < 0.3:
        month_start = timezone.make_aware(dt.datetime(2026, rng.choice([10, 11, 12]), 1))
        return month_start + dt.timedelta(minutes=rng.randint(-600, 600))
    return SEED_START + dt.timedelta(minutes=rng.randint(0, 100 * 24 * 60))


def _history(
    rng: random.Random,
    community: int,
    categories: dict[int, int],
    claimers: list[tuple[int, int | None]],
) -> WishHistory:
    at = _posted_at(rng)
    category = rng.choice(list(categories))
    wish = WishHistory(community=community, category=category, posted_at=at)
    claim: ClaimHistory | None = None

    def later() -> dt.datetime:
        nonlocal at
        # Often a step lands within hours of the last one, sometimes days later.
        at += dt.timedelta(minutes=rng.choice([rng.randint(5, 600), rng.randint(600, 9 * 1440)]))
        return at

    while True:
        when = later()
        if when > SEED_NOW or rng.random() < 0.05:
            return wish  # still as it is
        if wish.state == WishState.OPEN:
            if rng.random() < 0.08:
                wish.state, wish.withdrawn_at = WishState.WITHDRAWN, when
                return wish
            claimer, department = rng.choice(claimers)
            claim = ClaimHistory(claimer=claimer, department=department, claimed_at=when)
            wish.claims.append(claim)
            wish.state = WishState.CLAIMED
        elif wish.state == WishState.CLAIMED and claim is not None:
            roll = rng.random()
            if roll < 0.15:  # the claimer withdraws: the wish reopens
                claim.state, claim.withdrawn_at = ClaimState.WITHDRAWN, when
                wish.state, claim = WishState.OPEN, None
            elif roll < 0.2:  # the community withdraws the wish, the claim ends with it
                claim.state, claim.withdrawn_at = ClaimState.WITHDRAWN, when
                wish.state, wish.withdrawn_at = WishState.WITHDRAWN, when
                return wish
            else:
                claim.state, claim.done_at = ClaimState.DONE, when
                wish.state = WishState.DONE
        elif wish.state == WishState.DONE and claim is not None:
            if rng.random() < 0.25:  # returned with a reason
                claim.state, claim.returns = ClaimState.CLAIMED, claim.returns + 1
                wish.state = WishState.CLAIMED
            else:
                claim.state, claim.confirmed_at = ClaimState.CONFIRMED, when
                claim.points = categories[category]
                wish.state, wish.fulfilled_at = WishState.FULFILLED, when
                return wish


def seed_wishes(
    *,
    seed: int,
    count: int,
    communities: list[Community],
    departments: list[Department],
    staff,
    people: int = 6,
) -> list[WishHistory]:
    """``count`` random wishes in ``communities``, claimed by staff of ``departments`` and by
    ``people`` volunteers, written to the database; their histories."""
    rng = random.Random(seed)
    categories = {}
    for code, points in (("clean", 5), ("talk", 10), ("repair", 20)):
        category, _ = WishCategory.objects.get_or_create(
            code=code, defaults={"name": code, "points": points}
        )
        categories[category.pk] = category.points
    claimers = []
    for n, department in enumerate([*departments, *[None] * people]):
        user = type(staff).objects.create_user(username=f"claimer-{seed}-{n}", password="pw")
        claimer = Claimer.objects.create(
            user=user,
            kind=ClaimerKind.DEPARTMENT if department else ClaimerKind.VOLUNTEER,
            name=f"认领人{n}",
            phone="13800000000",
            community=rng.choice(communities),
            department=department,
            status=ClaimerStatus.APPROVED,
            signed_up_at=SEED_START,
        )
        claimers.append((claimer.pk, department.pk if department else None))
    histories = [
        _history(rng, rng.choice(communities).pk, categories, claimers) for _ in range(count)
    ]
    wishes = Wish.objects.bulk_create(
        [
            Wish(
                title="随机心愿",
                description="随机心愿",
                community_id=h.community,
                category_id=h.category,
                place="小区",
                wanted_by=(h.posted_at + dt.timedelta(days=30)).date(),
                posted_by=staff,
                posted_at=h.posted_at,
                state=h.state,
                claimed_at=h.claims[-1].claimed_at if h.claims else None,
                fulfilled_at=h.fulfilled_at,
                withdrawn_at=h.withdrawn_at,
            )
            for h in histories
        ]
    )
    Claim.objects.bulk_create(
        [
            Claim(
                wish=wish,
                claimer_id=c.claimer,
                department_id=c.department,
                state=c.state,
                claimed_at=c.claimed_at,
                done_at=c.done_at,
                withdrawn_at=c.withdrawn_at,
                confirmed_at=c.confirmed_at,
                confirmed_by=staff if c.confirmed_at else None,
                returns=c.returns,
                points=c.points,
            )
            for wish, history in zip(wishes, histories, strict=True)
            for c in history.claims
        ]
    )
    return histories
