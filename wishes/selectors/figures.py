"""A month's micro-wish figures per community, per street and per department, and their total,
for the monthly report and the dashboards.

What each figure counts (the report's definitions say the same, ``exports.columns``):

- posted: wishes posted in the month;
- claimed: claims made in the month (a wish claimed, withdrawn and claimed again counts twice);
- claims withdrawn: claims ended as withdrawn in the month (by the claimer, or with the wish);
- fulfilled: wishes whose fulfilment the community confirmed in the month; ``fulfil_days``: the
  days from posting to confirmation of each, for the median;
- returns: the times the community returned the claims confirmed in the month before it
  confirmed them;
- points: the love-bank points those confirmations gave;
- withdrawn: wishes the community withdrew in the month.

A community's and a street's figures count its wishes. A department's count the claims its
staff made for it (the claim names the department): claimed, withdrawn, confirmed; it posts and
withdraws no wish. A month is read in the portal's time zone. Four queries (the rows, the
wishes, the claims, the confirmations; a department's: no wishes), whatever the number of
communities or departments.
The median is taken in Python over the confirmations' rows, as for the events
(``events.selectors.figures``): both databases read the same SQL.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Count, Q

from archives import scope
from archives.models import Community, Department, Street
from archives.months import first_day, month_bounds
from wishes.models import Claim, ClaimState, Wish, WishState
from wishes.selectors.visible import CLAIM_PERMISSION

By = Literal["community", "street", "department"]

#: Who follows a community's wishes (street and city officials, community staff).
VIEW_PERMISSION = "wishes.view_wish"

_DAY = dt.timedelta(days=1)


@dataclass
class WishFigures:
    """A month's wish figures of one community, street or department, or of several added up
    (``add``). The monthly report stores them as they are."""

    id: int | None = None  # the community's, street's or department's; None for a total
    code: str = ""
    name: str = ""
    street: str = ""  # a community's street
    posted: int = 0
    claimed: int = 0
    claims_withdrawn: int = 0
    fulfilled: int = 0
    returns: int = 0
    points: int = 0
    withdrawn: int = 0
    #: Days from posting to confirmation of each wish fulfilled in the month, shortest first.
    fulfil_days: list[float] = field(default_factory=list)

    def add(self, other: "WishFigures") -> None:
        for name in ("posted", "claimed", "claims_withdrawn", "fulfilled", "returns", "points"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.withdrawn += other.withdrawn
        self.fulfil_days = sorted(self.fulfil_days + other.fulfil_days)

    @property
    def median_days_to_fulfil(self) -> float | None:
        """None when nothing was fulfilled in the month ("—", never 0)."""
        return statistics.median(self.fulfil_days) if self.fulfil_days else None

    def counts(self) -> tuple[int, ...]:
        """The figures without the names: equal for two rows that counted the same."""
        return (
            self.posted,
            self.claimed,
            self.claims_withdrawn,
            self.fulfilled,
            self.returns,
            self.points,
            self.withdrawn,
        )


def _rows(by: By, user: scope.User | None, communities: list[int] | None) -> list[WishFigures]:
    """One empty row per community, street or department the figures are for, by code: every
    one, or those of ``user``'s area; only those of ``communities`` (or their streets)."""
    if by == "department":
        departments = (
            Department.objects.all()
            if user is None
            else scope.departments_to_work_for(user, permission=CLAIM_PERMISSION)
        )
        return [
            WishFigures(id=pk, code=code, name=name)
            for pk, code, name in departments.order_by("code").values_list("pk", "code", "name")
        ]
    covered = (
        Community.objects.all()
        if user is None
        else scope.communities_to_work_in(user, permission=VIEW_PERMISSION)
    )
    if communities is not None:
        covered = covered.filter(pk__in=communities)
    if by == "street":
        streets = Street.objects.filter(pk__in=covered.values("street_id")).order_by("code")
        return [
            WishFigures(id=pk, code=code, name=name)
            for pk, code, name in streets.values_list("pk", "code", "name")
        ]
    return [
        WishFigures(id=pk, code=code, name=name, street=street)
        for pk, code, name, street in covered.order_by("street__code", "code").values_list(
            "pk", "code", "name", "street__name"
        )
    ]


def _count_wishes(
    of: dict[int | None, WishFigures],
    key: str,
    start: dt.datetime,
    end: dt.datetime,
    communities: list[int] | None,
) -> None:
    """Fill in the wishes posted and withdrawn in the window: one query."""
    wishes = Wish.objects.filter(**{f"{key}__in": list(of)})
    if communities is not None:
        wishes = wishes.filter(community_id__in=communities)
    posted = Q(posted_at__gte=start, posted_at__lt=end)
    withdrawn = Q(state=WishState.WITHDRAWN, withdrawn_at__gte=start, withdrawn_at__lt=end)
    for group, n_posted, n_withdrawn in (
        wishes.filter(posted | withdrawn)
        .values_list(key)
        .annotate(n_posted=Count("id", filter=posted), n_withdrawn=Count("id", filter=withdrawn))
        .order_by()
    ):
        of[group].posted, of[group].withdrawn = n_posted, n_withdrawn


def wish_month_figures(
    month: dt.date,
    *,
    by: By,
    user: scope.User | None = None,
    communities: list[int] | None = None,
) -> list[WishFigures]:
    """The figures of ``month`` (any day in it), one row per community, street or department
    (``by``), by code, zeros included: every one, or those of ``user``'s area (street and
    community officials: the communities their grants cover, or their streets; department
    staff: the departments they claim for). ``communities`` keeps only those communities'
    wishes (a street's report: its departments' claims on the street's wishes). Four queries
    (three by department), and the scope's."""
    rows = _rows(by, user, communities)
    if not rows:
        return []
    of = {row.id: row for row in rows}
    start, end = month_bounds(first_day(month))
    wish_key = {"community": "community_id", "street": "community__street_id"}.get(by)
    claim_key = "department_id" if by == "department" else f"wish__{wish_key}"

    claims = Claim.objects.filter(**{f"{claim_key}__in": list(of)})
    if communities is not None:
        claims = claims.filter(wish__community_id__in=communities)
    if wish_key is not None:
        _count_wishes(of, wish_key, start, end, communities)

    claimed = Q(claimed_at__gte=start, claimed_at__lt=end)
    ended = Q(state=ClaimState.WITHDRAWN, withdrawn_at__gte=start, withdrawn_at__lt=end)
    for key, n_claimed, n_ended in (
        claims.filter(claimed | ended)
        .values_list(claim_key)
        .annotate(n_claimed=Count("id", filter=claimed), n_ended=Count("id", filter=ended))
        .order_by()
    ):
        of[key].claimed, of[key].claims_withdrawn = n_claimed, n_ended

    confirmed = claims.filter(
        state=ClaimState.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end
    ).values_list(claim_key, "wish__posted_at", "confirmed_at", "returns", "points")
    for key, posted_at, confirmed_at, returns, points in confirmed:
        row = of[key]
        row.fulfilled += 1
        row.returns += returns
        row.points += points
        row.fulfil_days.append(round((confirmed_at - posted_at) / _DAY, 2))
    for row in rows:
        row.fulfil_days.sort()
    return rows


def wish_figures_total(rows: list[WishFigures], *, name: str = "") -> WishFigures:
    """``rows`` added up (the city's, or a street's, from its communities'); the median is
    taken over all their fulfilled wishes."""
    total = WishFigures(name=name)
    for row in rows:
        total.add(row)
    return total
