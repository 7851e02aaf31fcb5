"""A month's patrol figures over the data, timed, checked and with their plan."""

import datetime as dt
import statistics
import time

from django.db.models import Count

from archives.models import (
    Visit,
)
from bench.patrols.layout import DAYS, POINTS, RUNS, VISITS, patrol_month
from bench.table import BenchFailed, Row
from patrols.selectors import patrol_month_counts, track_check_expression

# --- a month's figures -------------------------------------------------------------------------


def month_figures_timings(members_built: int) -> list[Row]:
    start, end = patrol_month()
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        month = patrol_month_counts(start=start, end=end)
        timings.append(time.perf_counter() - began)
    members = list(month.by_member.values())
    rounds = sum(c.rounds for c in members)
    on = sum(c.visits_on_track for c in members)
    off = sum(c.visits_off_track for c in members)
    visits = sum(c.visits for c in members)
    n = members_built
    expected = (n * DAYS, n * VISITS, n * VISITS * 8 // 10, n * VISITS // 10)
    if (rounds, visits, on, off) != expected:
        raise BenchFailed(
            f"the month's figures are wrong: rounds, visits, on-track, off-track = "
            f"{rounds}, {visits}, {on}, {off}; expected {expected}"
        )
    covered = statistics.mean(c.buildings_covered for c in members)
    kilometres = statistics.mean(c.kilometres for c in members)
    note = (
        f"runs {', '.join(f'{t:.1f}' for t in timings)} s; {rounds:,} rounds, {visits:,} visits "
        f"({on:,} on-track, {off:,} off); {kilometres:.0f} km and {covered:.0f} buildings a "
        f"member; goal < 30 s"
    )
    return [
        Row(
            f"patrol month figures, {len(members):,} members, {n * DAYS * POINTS:,} points",
            f"{statistics.median(timings):.2f}",
            "s median",
            note,
        ),
        Row("  plan of its visits' on-track check", "", "", _visits_check_plan(start, end)),
    ]


def _visits_check_plan(start: dt.datetime, end: dt.datetime) -> str:
    """The top node of the plan of the visits' check, the one query that reads points (the
    same query ``patrol_month_counts`` runs)."""
    checked = (
        Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
        .annotate(track_state=track_check_expression())
        .values_list("grid_id", "grid_member_id", "track_state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    plan = checked.explain().splitlines()
    top = plan[0].strip()
    scans = [line.strip().removeprefix("-> ").split("  (")[0] for line in plan]
    used = sorted({scan for scan in scans if " using " in scan and "trackpoint" in scan})
    return f"{top}; {'; '.join(used)}"
