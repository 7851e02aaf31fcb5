"""The love bank (爱心银行): what each claimer has done, counted in confirmed wishes and their
points, and the rankings of departments and of people, for a month or for all time.

A department staff member's claim credits the department: it counts in the departments'
ranking, not in the people's, which ranks party members and volunteers (claims without a
department). Points are those the claim kept when it was confirmed. Ties are broken by the
earliest confirmation: who started first ranks first.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Min, QuerySet, Sum

from archives.models import Department
from archives.months import month_bounds
from wishes.models import Claim, Claimer, ClaimState

Ranked = Literal["departments", "people"]


@dataclass(frozen=True)
class RankRow:
    #: The department's id (departments' ranking) or the claimer's (people's).
    id: int
    name: str
    points: int
    wishes: int
    first_confirmed_at: dt.datetime


def confirmed_claims(month: dt.date | None = None) -> QuerySet[Claim]:
    """The confirmed claims, those confirmed in ``month`` (any day in it, local time) if given."""
    claims = Claim.objects.filter(state=ClaimState.CONFIRMED)
    if month is not None:
        start, end = month_bounds(month)
        claims = claims.filter(confirmed_at__gte=start, confirmed_at__lt=end)
    return claims


def love_bank_ranking(
    *, who: Ranked, month: dt.date | None = None, limit: int = 50
) -> list[RankRow]:
    """The ``limit`` best departments or people by points from confirmed wishes, in ``month``
    or all time: most points first, then the earliest confirmation, then the id."""
    if who not in ("departments", "people"):
        raise ValueError(f"who must be 'departments' or 'people', not {who!r}")
    claims = confirmed_claims(month)
    key = "department_id" if who == "departments" else "claimer_id"
    claims = (
        claims.filter(department__isnull=False)
        if who == "departments"
        else claims.filter(department__isnull=True)
    )
    totals = list(
        claims.order_by()
        .values(key)
        .annotate(points=Sum("points"), wishes=Count("id"), first=Min("confirmed_at"))
        .order_by("-points", "first", key)[:limit]
    )
    ids = [row[key] for row in totals]
    model = Department if who == "departments" else Claimer
    names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [
        RankRow(
            id=row[key],
            name=names.get(row[key], ""),
            points=row["points"] or 0,
            wishes=row["wishes"],
            first_confirmed_at=row["first"],
        )
        for row in totals
    ]


def love_bank_of(claimer: Claimer) -> tuple[int, QuerySet[Claim]]:
    """``claimer``'s points and confirmed claims (newest first), whether they claimed for
    themselves or for their department."""
    claims = (
        confirmed_claims()
        .filter(claimer=claimer)
        .select_related("wish", "wish__community", "wish__category", "department")
        .order_by("-confirmed_at", "-id")
    )
    points = claims.aggregate(total=Sum("points"))["total"] or 0
    return points, claims
