"""The love bank's rankings against a plain loop over a seeded random set of claims: points
summed per department and per person, monthly (local months) and all-time, ties broken by the
earliest confirmation."""

import datetime as dt
import itertools
import random

import pytest
from django.utils import timezone

from archives.models import Department
from portal import roles
from tests import factories
from tests.wishes.factories import make_claimer
from wishes import selectors, services
from wishes.models import Claim, ClaimerKind, ClaimState, Wish, WishState

_numbers = itertools.count(1)
MONTHS = [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def add_claim(city, claimer, *, state, points, at):
    """A wish and its claim written directly: thousands of steps through the services would
    test nothing more here."""
    wish = Wish.objects.create(
        title=f"心愿{next(_numbers)}",
        description="描述",
        community=city.community,
        category=city.category,
        place="小区",
        wanted_by=at.date(),
        posted_by=city.staff,
        posted_at=at - dt.timedelta(days=3),
        state=WishState.FULFILLED if state == ClaimState.CONFIRMED else WishState.CLAIMED,
        fulfilled_at=at if state == ClaimState.CONFIRMED else None,
    )
    return Claim.objects.create(
        wish=wish,
        claimer=claimer,
        department=claimer.department,
        state=state,
        claimed_at=at - dt.timedelta(days=2),
        confirmed_at=at if state == ClaimState.CONFIRMED else None,
        points=points if state == ClaimState.CONFIRMED else 0,
    )


@pytest.fixture
def bank(city):
    """Eight people and three departments (two staff each); 150 claims over three months with
    few distinct point values (so that ties happen), some not confirmed, some on the months'
    very edges."""
    rng = random.Random(20)
    people = [city.claimer(u) for u in (city.volunteer, city.party_member, city.staff_claimer)]
    for number in range(5):
        user = factories.make_user(f"v{number}", role=roles.VOLUNTEER)
        people.append(make_claimer(user, community=city.neighbour, name=f"志愿者{number}"))
    staff = [city.claimer(city.housing_staff)]
    departments = [city.housing]
    for code, name in (("water", "水务局"), ("civil", "民政局")):
        departments.append(Department.objects.create(code=code, name=name))
    for number, department in enumerate(departments):
        for extra in range(2 if department != city.housing else 1):
            user = factories.make_user(f"d{number}{extra}", role=roles.DEPARTMENT_STAFF)
            staff.append(
                make_claimer(
                    user,
                    community=city.community,
                    kind=ClaimerKind.DEPARTMENT,
                    department=department,
                    name=f"{department.name}{extra}",
                )
            )
    edges = [local(2026, 10, 1, 0, 0, 0), local(2026, 10, 31, 23, 59, 59)]
    for _ in range(150):
        claimer = rng.choice(people + staff)
        month = rng.choice(MONTHS)
        at = (
            rng.choice(edges)
            if rng.random() < 0.1
            else local(
                month.year, month.month, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
            )
        )
        state = rng.choice([ClaimState.CONFIRMED] * 4 + [ClaimState.WITHDRAWN])
        add_claim(city, claimer, state=state, points=rng.choice([2, 5, 10]), at=at)
    return people, staff


def plain_ranking(who: str, month: dt.date | None) -> list[tuple]:
    totals: dict[int, list] = {}
    for claim in Claim.objects.select_related("claimer", "department"):
        if claim.state != ClaimState.CONFIRMED:
            continue
        if (
            month is not None
            and timezone.localtime(claim.confirmed_at).date().replace(day=1) != month
        ):
            continue
        if (who == "departments") != (claim.department_id is not None):
            continue
        key = claim.department_id if who == "departments" else claim.claimer_id
        name = claim.department.name if who == "departments" else claim.claimer.name
        row = totals.setdefault(key, [key, name, 0, 0, claim.confirmed_at])
        row[2] += claim.points
        row[3] += 1
        row[4] = min(row[4], claim.confirmed_at)
    ranked = sorted(totals.values(), key=lambda r: (-r[2], r[4], r[0]))
    return [tuple(r) for r in ranked]


def as_tuples(rows) -> list[tuple]:
    return [(r.id, r.name, r.points, r.wishes, r.first_confirmed_at) for r in rows]


@pytest.mark.parametrize("who", ["departments", "people"])
def test_rankings_match_a_plain_loop_monthly_and_all_time(city, bank, who):
    for month in [None, *MONTHS]:
        expected = plain_ranking(who, month)
        assert expected, month  # the seed gives every month something to rank
        assert as_tuples(selectors.love_bank_ranking(who=who, month=month)) == expected, month
        assert (
            as_tuples(selectors.love_bank_ranking(who=who, month=month, limit=3)) == (expected[:3])
        )


def test_the_seed_has_ties_and_months_that_differ_from_all_time(city, bank):
    all_time = plain_ranking("people", None)
    points = [row[2] for row in all_time]
    months = [plain_ranking("people", month) for month in MONTHS]
    assert any(len({r[2] for r in ranking}) < len(ranking) for ranking in [all_time, *months]), (
        "no tie to break"
    )
    assert any(ranking[0][0] != all_time[0][0] for ranking in months)
    assert points == sorted(points, reverse=True)


def test_a_month_counts_confirmations_in_its_local_days_only(city, bank):
    october = {r.id: r.points for r in selectors.love_bank_ranking(who="people", month=MONTHS[1])}
    start = local(2026, 10, 1)
    end = local(2026, 11, 1)
    expected: dict[int, int] = {}
    for claim in Claim.objects.filter(state=ClaimState.CONFIRMED, department__isnull=True):
        if start <= claim.confirmed_at < end:
            expected[claim.claimer_id] = expected.get(claim.claimer_id, 0) + claim.points
    assert october == expected


def test_ties_go_to_the_earliest_confirmation(city):
    a, b, c = (city.claimer(u) for u in (city.party_member, city.volunteer, city.staff_claimer))
    # b registered after a (a higher id) but was confirmed first; c has as many points in one
    # wish, confirmed later than both.
    assert b.pk > a.pk
    add_claim(city, a, state=ClaimState.CONFIRMED, points=5, at=local(2026, 11, 3, 9))
    add_claim(city, a, state=ClaimState.CONFIRMED, points=5, at=local(2026, 11, 20, 9))
    add_claim(city, b, state=ClaimState.CONFIRMED, points=5, at=local(2026, 11, 2, 9))
    add_claim(city, b, state=ClaimState.CONFIRMED, points=5, at=local(2026, 11, 25, 9))
    add_claim(city, c, state=ClaimState.CONFIRMED, points=10, at=local(2026, 11, 4, 9))
    ranking = selectors.love_bank_ranking(who="people", month=dt.date(2026, 11, 15))
    assert [(r.name, r.points, r.wishes) for r in ranking] == [
        ("志愿者小陈", 10, 2),
        ("党员老刘", 10, 2),
        ("staff_claimer", 10, 1),
    ]


def test_a_department_staff_members_claims_credit_the_department_not_the_person(city):
    wish = city.post()
    claim = services.wish_claim(actor=city.housing_staff, wish=wish)
    services.claim_fulfil(actor=city.housing_staff, claim=claim, note="已完成")
    services.claim_confirm(actor=city.staff, claim=claim)
    departments = selectors.love_bank_ranking(who="departments")
    assert [(r.id, r.name, r.points) for r in departments] == [(city.housing.pk, "住建局", 5)]
    assert selectors.love_bank_ranking(who="people") == []
    # Their own record still shows what they did.
    points, claims = selectors.love_bank_of(city.claimer(city.housing_staff))
    assert points == 5 and list(claims) == [claim]


def test_a_claimers_love_bank_is_their_confirmed_claims(city, bank):
    people, staff = bank
    for claimer in people + staff:
        points, claims = selectors.love_bank_of(claimer)
        confirmed = [
            c for c in Claim.objects.filter(claimer=claimer) if c.state == ClaimState.CONFIRMED
        ]
        assert points == sum(c.points for c in confirmed)
        assert sorted(c.pk for c in claims) == sorted(c.pk for c in confirmed)
        times = [c.confirmed_at for c in claims]
        assert times == sorted(times, reverse=True)


def test_an_unknown_ranking_is_a_programming_error(city):
    with pytest.raises(ValueError):
        selectors.love_bank_ranking(who="streets")  # type: ignore[arg-type]
