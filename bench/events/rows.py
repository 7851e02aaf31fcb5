"""What the events rows measure: the events list as each role opens it, and a month's event
figures for every grid and department, each with the plan of its slowest query."""

import importlib
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.types import Actor
from bench.events.layout import (
    FIGURE_RUNS,
    GRIDS,
    REQUESTS,
    ROLE_ACCOUNTS,
    account_username,
    figures_month,
)
from bench.table import BenchFailed, Row, median_and_p95
from events.models import Event, Light
from events.selectors import events_visible

EVENTS_LIST = "/admin/events/event/"
#: The goal the issue sets for the list.
GOAL_P95_MS = 150


def list_timings(requests: int = REQUESTS) -> list[Row]:
    """The events changelist (first page, with lights) through Django's test client, as each
    role sees it through its own scope; then red events only."""
    requests = max(requests, REQUESTS)
    cases = [(role, what, EVENTS_LIST) for role, what in ROLE_ACCOUNTS]
    cases += [
        ("city", "municipal official, red only", f"{EVENTS_LIST}?light__exact=red"),
        ("street", "street official, red only", f"{EVENTS_LIST}?light__exact=red"),
    ]
    User = get_user_model()
    rows = []
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for role, what, url in cases:
            user = User.objects.get(username=account_username(role))
            client = Client()
            client.force_login(user)
            timings, queries = _timed_gets(client, url, requests)
            median, p95 = median_and_p95(timings)
            verdict = "meets" if p95 < GOAL_P95_MS else "misses"
            scoped = _scoped_page_timings(user, red="light__exact=red" in url, requests=requests)
            rows.append(
                Row(
                    f"events list as {what}",
                    f"{median:.0f}",
                    "ms median",
                    f"p95 {p95:.0f} ms ({verdict} the goal < {GOAL_P95_MS} ms), "
                    f"{len(queries)} queries; the scoped page's own two queries "
                    f"{scoped[0]:.0f} ms median, p95 {scoped[1]:.0f} ms; "
                    f"slowest: {_plan_top(queries)}",
                )
            )
    return rows


def _scoped_page_timings(user: Actor, *, red: bool, requests: int) -> tuple[float, float]:
    """What any list page of events needs, whatever its admin shows: the first 100 events the
    user sees (newest first, with their category, grid and department) and how many there
    are; apart from the admin's own work, to tell the two apart."""
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        seen = events_visible(user)
        if red:
            seen = seen.filter(light=Light.RED)
        page = seen.select_related("category", "grid", "department").order_by("-reported_at", "-id")
        list(page[:100])
        seen.count()
        timings.append((time.perf_counter() - started) * 1000)
    return median_and_p95(timings)


def _timed_gets(client: Client, url: str, requests: int) -> tuple[list[float], list[dict]]:
    client.get(url)  # warm caches, as a user's second page load would be
    timings: list[float] = []
    queries: list[dict] = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchFailed(f"{url} answered {response.status_code}")
        queries = captured.captured_queries
    return timings, queries


def _plan_top(queries: list[dict]) -> str:
    """The slowest of ``queries`` (as captured) explained: its plan's top node and the scans
    it uses on the events' tables."""
    # Only reads have a plan (a page's COMMIT of its session can be its slowest statement).
    queries = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    if not queries:
        return "no queries"
    slowest = max(queries, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:  # history: EXPLAIN reads, writes nothing
        cursor.execute(f"EXPLAIN {slowest['sql']}")
        plan = [line for (line,) in cursor.fetchall()]
    top = plan[0].strip().split("  (")[0]
    scans = [line.strip().lstrip("-> ").split("  (")[0] for line in plan]
    used = sorted({s for s in scans if " on events_" in s or " using event" in s})
    return f"{float(slowest['time']) * 1000:.0f} ms, {top}; {'; '.join(used[:4])}"


def figures_timings() -> list[Row]:
    """The month's event figures for every grid and every department (``events.selectors.
    figures``, written beside this benchmark): "not available" until they exist."""
    month = figures_month()
    what = f"event figures for {month:%Y-%m}"
    try:
        # Looked up, not imported at the top: the figures are being written beside this.
        figures = importlib.import_module("events.selectors.figures")
        event_counts_by_grid = figures.event_counts_by_grid
        event_counts_by_department = figures.event_counts_by_department
        by_grid = _timed_figure(lambda: event_counts_by_grid(month))
        by_department = _timed_figure(lambda: event_counts_by_department(month))
    except (NotImplementedError, ImportError, AttributeError) as missing:
        note = f"{type(missing).__name__}: {missing}"
        return [Row(f"{what}, by grid and by department", "not available", "", note)]
    start = figures_month()
    expected = Event.objects.filter(
        reported_at__year=start.year, reported_at__month=start.month
    ).count()
    rows = []
    for label, (timings, counts, queries) in (
        (f"{GRIDS:,} grids", by_grid),
        ("departments", by_department),
    ):
        received = sum(getattr(c, "received", 0) for c in counts.values())
        settled = sum(getattr(c, "settled", 0) for c in counts.values())
        within = sum(getattr(c, "settled_within_goal", 0) for c in counts.values())
        check = f"received {received:,}"
        if label.endswith("grids"):
            check += f" (reported that month: {expected:,})"
        rows.append(
            Row(
                f"{what}, {label}",
                f"{statistics.median(timings):.2f}",
                "s median",
                f"runs {', '.join(f'{t:.2f}' for t in timings)} s; {len(counts):,} rows, "
                f"{check}, settled {settled:,} ({within:,} within 3 days); {len(queries)} "
                f"queries; slowest: {_plan_top(queries)}",
            )
        )
    return rows


def _timed_figure(figure: Callable[[], dict]) -> tuple[list[float], dict, list[dict]]:
    timings: list[float] = []
    counts: dict = {}
    queries: list[dict] = []
    for _ in range(FIGURE_RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            counts = figure()
            timings.append(time.perf_counter() - started)
        queries = captured.captured_queries
    return timings, counts, queries
