"""The month's micro-wish figures per community, street and department, against plain loops over a
seeded city of random wishes (claims withdrawn and made again, returns, wishes withdrawn, months
turning in the night of the portal's time zone); the dashboards' areas; the query count."""

import datetime as dt
import statistics
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives.models import Community, Department, Street
from portal.roles import DEPARTMENT_STAFF, MUNICIPAL_OFFICIAL, STREET_OFFICIAL
from tests import factories
from tests.wishes.figures_city import MONTHS, WishHistory, seed_wishes
from wishes.models import ClaimState
from wishes.selectors.figures import WishFigures, wish_figures_total, wish_month_figures
from wishes.services import (
    claim_confirm,
    claim_fulfil,
    claim_return,
    claim_withdraw,
    wish_claim,
    wish_withdraw,
)


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        timezone.make_aware(dt.datetime(month.year, month.month, 1)),
        timezone.make_aware(dt.datetime(following.year, following.month, 1)),
    )


def expected(histories: list[WishHistory], month: dt.date, key) -> dict:
    """The figures counted one wish and one claim at a time. ``key(wish, claim)`` names the
    group a wish (claim None) or a claim counts for, or None."""
    start, end = bounds(month)
    figures: dict = defaultdict(
        lambda: {
            "posted": 0,
            "withdrawn": 0,
            "claimed": 0,
            "claims_withdrawn": 0,
            "fulfilled": 0,
            "returns": 0,
            "points": 0,
            "days": [],
        }
    )
    for wish in histories:
        group = key(wish, None)
        if group is not None:
            figures[group]["posted"] += start <= wish.posted_at < end
            figures[group]["withdrawn"] += bool(
                wish.withdrawn_at and start <= wish.withdrawn_at < end
            )
        for claim in wish.claims:
            group = key(wish, claim)
            if group is None:
                continue
            row = figures[group]
            row["claimed"] += start <= claim.claimed_at < end
            if claim.state == ClaimState.WITHDRAWN and start <= claim.withdrawn_at < end:
                row["claims_withdrawn"] += 1
            if claim.state == ClaimState.CONFIRMED and start <= claim.confirmed_at < end:
                row["fulfilled"] += 1
                row["returns"] += claim.returns
                row["points"] += claim.points
                row["days"].append((claim.confirmed_at - wish.posted_at).total_seconds() / 86400)
    return figures


def assert_matches(row: WishFigures, figures: dict, *, department: bool = False) -> None:
    for name in ("claimed", "claims_withdrawn", "fulfilled", "returns", "points"):
        assert getattr(row, name) == figures[name], (row.name, name)
    if department:
        assert (row.posted, row.withdrawn) == (0, 0)
    else:
        assert (row.posted, row.withdrawn) == (figures["posted"], figures["withdrawn"]), row.name
    if figures["days"]:
        median = statistics.median(figures["days"])
        assert row.median_days_to_fulfil == pytest.approx(median, abs=0.01), row.name
    else:
        assert row.median_days_to_fulfil is None


@pytest.fixture
def seeded(db):
    streets = [Street.objects.create(code=f"WS{n}", name=f"街道{n}") for n in range(3)]
    communities = [
        Community.objects.create(code=f"WC{n}", name=f"社区{n}", street=streets[n % 3])
        for n in range(8)
    ]
    departments = [
        Department.objects.create(code=f"WD{n}", name=f"局{n}", serves_whole_city=True)
        for n in range(4)
    ]
    staff = factories.make_user("community staff")
    histories = seed_wishes(
        seed=20, count=500, communities=communities, departments=departments, staff=staff
    )
    return streets, communities, departments, histories


def by_community(wish, claim):
    return wish.community


def test_the_seeded_city_has_every_kind_of_figure(seeded):
    _streets, _communities, _departments, histories = seeded
    claims = [c for h in histories for c in h.claims]
    assert any(c.returns for c in claims) and any(c.state == "withdrawn" for c in claims)
    assert any(h.withdrawn_at for h in histories) and any(len(h.claims) > 1 for h in histories)
    # Some wishes are posted in the first local hours of a month (UTC: the month before).
    assert any(h.posted_at.astimezone(dt.UTC).day != h.posted_at.day for h in histories)


@pytest.mark.parametrize("month", MONTHS)
def test_community_figures_match_a_plain_loop(seeded, month):
    _streets, communities, _departments, histories = seeded
    rows = wish_month_figures(month, by="community")
    figures = expected(histories, month, by_community)
    assert [row.code for row in rows] == sorted(
        (c.code for c in communities), key=lambda code: (f"WS{int(code[2:]) % 3}", code)
    )
    for row in rows:
        assert_matches(row, figures[row.id])
    assert sum(row.posted for row in rows) > 0 and sum(row.fulfilled for row in rows) > 0


@pytest.mark.parametrize("month", MONTHS)
def test_street_figures_match_a_plain_loop(seeded, month):
    streets, communities, _departments, histories = seeded
    street_of = {c.pk: c.street_id for c in communities}
    rows = wish_month_figures(month, by="street")
    assert [row.id for row in rows] == [s.pk for s in streets]
    figures = expected(histories, month, lambda wish, claim: street_of[wish.community])
    for row in rows:
        assert_matches(row, figures[row.id])


@pytest.mark.parametrize("month", MONTHS)
def test_department_figures_count_its_staff_s_claims(seeded, month):
    _streets, _communities, departments, histories = seeded
    rows = wish_month_figures(month, by="department")
    assert [row.id for row in rows] == [d.pk for d in departments]
    figures = expected(histories, month, lambda wish, claim: claim and claim.department)
    for row in rows:
        assert_matches(row, figures[row.id], department=True)
    volunteers = expected(
        histories, month, lambda wish, claim: claim and claim.department is None and "people"
    )
    everyone = wish_figures_total(wish_month_figures(month, by="community"))
    # Departments' and volunteers' claims make up every claim of the month.
    assert sum(r.claimed for r in rows) + volunteers["people"]["claimed"] == everyone.claimed


def test_the_city_total_adds_up_the_communities_with_one_median(seeded):
    _streets, _communities, _departments, histories = seeded
    month = MONTHS[2]
    total = wish_figures_total(wish_month_figures(month, by="community"), name="全市")
    assert_matches(total, expected(histories, month, lambda wish, claim: 0)[0])
    streets = wish_figures_total(wish_month_figures(month, by="street"))
    assert streets.counts() == total.counts() and streets.fulfil_days == total.fulfil_days


def test_a_street_s_report_counts_its_communities_wishes_only(seeded):
    streets, communities, _departments, histories = seeded
    month = MONTHS[1]
    own = [c.pk for c in communities if c.street_id == streets[1].pk]
    rows = wish_month_figures(month, by="department", communities=own)
    figures = expected(
        [h for h in histories if h.community in own],
        month,
        lambda wish, claim: claim and claim.department,
    )
    for row in rows:
        assert_matches(row, figures[row.id], department=True)
    assert [r.id for r in wish_month_figures(month, by="community", communities=own)] == own


def test_the_month_turns_at_midnight_in_the_portal_s_time_zone(seeded):
    _streets, _communities, _departments, histories = seeded
    # A wish posted at 00:30 on 1 November local time (16:30 UTC on 31 October) is November's.
    early = [
        h
        for h in histories
        if h.posted_at.astimezone(dt.UTC).month == 10
        and timezone.localtime(h.posted_at).month == 11
    ]
    assert early
    november = wish_figures_total(wish_month_figures(MONTHS[2], by="community"))
    october = wish_figures_total(wish_month_figures(MONTHS[1], by="community"))
    posted = [timezone.localtime(h.posted_at).month for h in histories]
    assert (october.posted, november.posted) == (posted.count(10), posted.count(11))


def test_each_official_sees_the_figures_of_their_area(seeded):
    streets, communities, departments, _histories = seeded
    street_official = factories.make_user("street", role=STREET_OFFICIAL)
    factories.grant(street_official, streets[0])
    rows = wish_month_figures(MONTHS[2], by="community", user=street_official)
    assert [r.id for r in rows] == [c.pk for c in communities if c.street_id == streets[0].pk]
    municipal = factories.make_user("city", role=MUNICIPAL_OFFICIAL)
    rows = wish_month_figures(MONTHS[2], by="street", user=municipal)
    assert [r.id for r in rows] == [s.pk for s in streets]
    staff = factories.make_user("bureau", role=DEPARTMENT_STAFF)
    factories.grant(staff, departments[2])
    rows = wish_month_figures(MONTHS[2], by="department", user=staff)
    assert [r.id for r in rows] == [departments[2].pk]
    assert wish_month_figures(MONTHS[2], by="community", user=staff) == []


@pytest.mark.parametrize("by", ["community", "street", "department"])
def test_a_fixed_number_of_queries_whatever_the_number_of_communities(db, by):
    def queries(count: int) -> int:
        streets = [Street.objects.create(code=f"Q{count}S{n}", name="街道") for n in range(2)]
        made = [
            Community.objects.create(code=f"Q{count}C{n}", name="社区", street=streets[n % 2])
            for n in range(count)
        ]
        departments = [
            Department.objects.create(code=f"Q{count}D{n}", name="局") for n in range(count)
        ]
        seed_wishes(
            seed=count,
            count=30 * count,
            communities=made,
            departments=departments,
            staff=factories.make_user(f"q{count}"),
        )
        with CaptureQueriesContext(connection) as seen:
            rows = wish_month_figures(MONTHS[2], by=by)
        assert sum(r.claimed for r in rows) > 0
        return len(seen)

    # The rows, the wishes (not for departments: they post none), the claims, the confirmations.
    assert queries(2) == queries(9) == (3 if by == "department" else 4)


def test_through_the_services_what_each_step_adds_to_the_month(city):
    """The services record what the figures count: a claim withdrawn and made again, a
    department's fulfilment returned once and then confirmed, a wish withdrawn with its claim;
    a wish posted at 23:30 on the month's last local day is the month's, one at 00:30 on the
    next day the next month's."""
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    at = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
    wish = city.post(at=at)
    first = wish_claim(actor=city.volunteer, wish=wish, at=at + hour)
    claim_withdraw(actor=city.volunteer, claim=first, reason="临时有事", at=at + 2 * hour)
    claim = wish_claim(actor=city.housing_staff, wish=wish, at=at + 3 * hour)
    claim_fulfil(actor=city.housing_staff, claim=claim, note="已清理", at=at + day)
    claim_return(actor=city.staff, claim=claim, reason="还有杂物", at=at + day + hour)
    claim_fulfil(actor=city.housing_staff, claim=claim, note="已清理干净", at=at + 2 * day)
    claim_confirm(actor=city.staff, claim=claim, at=at + 3 * day)
    other = city.post(at=at)
    wish_claim(actor=city.party_member, wish=other, at=at + hour)
    other.refresh_from_db()
    wish_withdraw(
        actor=city.staff, wish=other, version=other.version, reason="居民已自行解决", at=at + day
    )
    city.post(at=timezone.make_aware(dt.datetime(2026, 11, 30, 23, 30)))
    city.post(at=timezone.make_aware(dt.datetime(2026, 12, 1, 0, 30)))

    rows = {row.id: row for row in wish_month_figures(dt.date(2026, 11, 1), by="community")}
    mine = rows[city.community.pk]
    # posted, claimed, claims withdrawn, fulfilled, returns, points, wishes withdrawn
    assert mine.counts() == (3, 3, 2, 1, 1, city.category.points, 1)
    assert mine.median_days_to_fulfil == 3
    assert rows[city.neighbour.pk].counts() == (0,) * 7
    (housing,) = [
        row
        for row in wish_month_figures(dt.date(2026, 11, 1), by="department")
        if row.id == city.housing.pk
    ]
    assert housing.counts() == (0, 1, 0, 1, 1, city.category.points, 0)
    december = wish_month_figures(dt.date(2026, 12, 1), by="community")
    assert wish_figures_total(december).posted == 1
