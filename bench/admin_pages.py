"""Server times of the admin's pages as each role sees them (changelists, searches,
dashboards), and a clerk's save of a resident with history."""

import time

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from archives import scope, selectors
from archives.models import Building, Grid, Household, HouseholdTag, Resident, Tag, Visit
from bench.table import BenchFailed, Row, median_and_p95
from portal.web_worker import collect_request_garbage, freeze_long_lived


def changelist_timings(requests: int) -> list[Row]:
    _vacuum_for_lists()
    grid = Grid.objects.order_by("pk")[0]  # the bench city has grids and residents
    sample = Resident.objects.order_by("-pk").only("id_number", "name", "phone")[0]
    tag = Tag.objects.filter(code="disabled").first() or Tag.objects.order_by("pk")[0]
    residents, households, visits = (
        "/admin/archives/resident/",
        "/admin/archives/household/",
        "/admin/archives/visit/",
    )
    by_tag = f"{residents}?tags__id__exact={tag.pk}"
    surname, name_start = f"{residents}?q={sample.name[:1]}", f"{residents}?q={sample.name[:2]}"
    # (account, what, url); each account sees the list through its own scope.
    cases = [
        ("admin", "resident changelist, first page", residents),
        ("admin", "resident changelist, one grid", f"{residents}?grid={grid.pk}"),
        ("admin", "resident changelist, one tag", by_tag),
        ("admin", "household changelist, first page", households),
        ("admin", "visit changelist, first page", visits),
        ("admin", "resident search by ID number", f"{residents}?q={sample.id_number}"),
        # archives/search.py: each through its index (a name alone: in name order, read from
        # the name index; otherwise a UNION of IDs).
        ("admin", "resident search by surname", surname),
        ("admin", "resident search by name start (2 characters)", name_start),
        ("admin", "resident search by phone last 4", f"{residents}?q={sample.phone[-4:]}"),
        ("clerk", "grid member: resident changelist", residents),
        ("clerk", "grid member: resident changelist, one tag", by_tag),
        ("clerk", "grid member: household changelist", households),
        ("clerk", "grid member: visit changelist", visits),
        ("clerk", "grid member: search by surname", surname),
        ("street", "street official: resident changelist", residents),
        ("street", "street official: resident changelist, one grid", f"{residents}?grid={grid.pk}"),
        ("street", "street official: resident changelist, one tag", by_tag),
        ("street", "street official: household changelist", households),
        ("street", "street official: visit changelist", visits),
        ("street", "street official: search by surname", surname),
        ("department", "department (health): resident changelist", residents),
        ("department", "department (health): resident changelist, one tag", by_tag),
        ("department", "department (health): household changelist", households),
        ("official", "municipal official: resident changelist", residents),
        ("official", "municipal official: resident changelist, one tag", by_tag),
        ("official", "municipal official: household changelist", households),
        ("official", "municipal official: visit changelist", visits),
        ("official", "municipal official: search by surname", surname),
    ]
    accounts = get_user_model().objects.in_bulk(
        {username for username, _what, _url in cases}, field_name="username"
    )
    rows = dashboard_timings(requests, vacuum=False)
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for username, what, url in cases:
            rows.append(_row(accounts[username], f"admin as {username}: {what}", url, requests))
    return rows


def dashboard_timings(requests: int, *, vacuum: bool = True) -> list[Row]:
    """The index with each role's dashboard (portal/dashboard.py), the municipal official's
    also cold, and the periodic refresh of the officials' per-grid figures it adds up
    (portal/tasks.py) timed on its own: ``--only dashboards``."""
    if vacuum:
        _vacuum_for_lists()
    refresh = _refresh_row(max(3, requests // 4))  # also keeps the figures the panels read
    cases = [
        ("clerk", "grid member: dashboard"),
        ("street", "street official: dashboard"),
        ("official", "municipal official: dashboard"),
    ]
    accounts = get_user_model().objects.in_bulk(
        {username for username, _what in cases}, field_name="username"
    )
    rows = []
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        # The official's panel as the first reader in five minutes finds it after the refresh
        # job: per-grid figures kept, the panel itself not (nothing is kept while the setting
        # is 0; timed before the warm rows keep it).
        with override_settings(DASHBOARD_CACHE_SECONDS=0):
            what = "admin as official: dashboard, cold (figures kept by the refresh)"
            cold = _row(accounts["official"], what, "/admin/", requests)
        for username, what in cases:
            user = accounts[username]
            rows.append(_row(user, f"admin as {username}: {what}", "/admin/", requests))
    return [*rows, cold, refresh]


def _refresh_row(runs: int) -> Row:
    """The periodic job's work: every grid's figures counted for the whole city and kept
    (``archives.selectors.grid_figures_keep``), as the worker runs it."""
    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            now = timezone.now()
            figures = selectors.grid_figures_keep(timezone.localdate(now), now)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    median, p95 = median_and_p95(timings)
    return Row(
        "dashboard figures refresh (every grid, whole city; the periodic job)",
        f"{median:.0f}",
        "ms median",
        f"p95 {p95:.0f} ms, {queries} queries, {len(figures.grids)} grids; "
        f"{_main_plan(captured.captured_queries)}",
    )


def _row(user, what: str, url: str, requests: int) -> Row:
    client = Client()
    client.force_login(user)
    median, p95, queries, main = _time_get(client, url, requests)
    return Row(what, f"{median:.0f}", "ms median", f"p95 {p95:.0f} ms, {queries} queries; {main}")


def _vacuum_for_lists() -> None:
    """What autovacuum does on a running server, which the benchmark server does not run: a
    freshly built city has no visibility map, so every index-only scan of a list's count
    still read the table (50,000 heap fetches for a street's residents)."""
    tags = Resident.tags.through
    models: list[type[Model]] = [Resident, Household, Building, Visit, Grid, tags, HouseholdTag]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def _main_plan(captured: list[dict]) -> str:
    """The top of the plan of the page's costliest archive read, each of its reads explained
    again with EXPLAIN ANALYZE (the captured times of a busy machine pick the wrong one): its
    first nodes down to the first that reads a table, and planning plus execution time."""
    plans = []
    for query in captured:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT") and '"archives_' in sql:
            with connection.cursor() as cursor:  # history: EXPLAIN of a read, writes no row
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                explained = cursor.fetchone()[0][0]
            plans.append((explained["Planning Time"] + explained["Execution Time"], explained))
    if not plans:
        return "no archive reads"
    spent, explained = max(plans, key=lambda plan: plan[0])
    node, chain = explained["Plan"], []
    while True:
        name = node["Node Type"]
        if "Index Name" in node:
            name += f" using {node['Index Name']}"
        elif "Relation Name" in node:
            name += f" on {node['Relation Name']}"
        chain.append(name)
        if "Relation Name" in node or not node.get("Plans") or len(chain) == 3:
            break
        node = node["Plans"][0]
    return f"{' > '.join(chain)} ({spent:.1f} ms)"


def save_timings(requests: int) -> list[Row]:
    """A clerk saves a resident through the admin: form load, then the timed POST."""
    clerk = get_user_model().objects.get(username="clerk")
    resident = scope.restrict(Resident.objects.order_by("pk"), clerk, scope.CHANGE)[0]
    url = f"/admin/archives/resident/{resident.pk}/change/"
    timings, queries = [], 0
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        client = Client()
        client.force_login(clerk)
        resident_admin = admin.site._registry[Resident]
        request = RequestFactory().get(url)
        request.user = clerk
        for n in range(requests + 1):
            client.get(url)  # the clerk opens the file ...
            obj = resident_admin.get_object(request, str(resident.pk))
            form = resident_admin.get_form(request, obj)(instance=obj)
            data = {name: form[name].value() for name in form.fields}
            data = {k: v for k, v in data.items() if v is not None}
            data.update(phone=f"139{n:08d}", change_reason="bench")
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.post(url, data)
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise BenchFailed(f"saving {url} answered {response.status_code}")
            if n:  # the first save warms caches
                timings.append(elapsed)
                queries = len(captured)
    median, p95 = median_and_p95(timings)
    return [
        Row(
            "admin as clerk: save a resident (with history)",
            f"{median:.0f}",
            "ms median",
            f"p95 {p95:.0f} ms, {queries} queries",
        )
    ]


def _time_get(client: Client, url: str, requests: int) -> tuple[float, float, int, str]:
    client.get(url)  # warm caches, as a user's second page load would be
    freeze_long_lived()  # as a web worker does after its first request (portal/wsgi.py)
    timings = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            status = client.get(url).status_code
            timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise BenchFailed(f"{url} answered {status}")
        collect_request_garbage()  # as a web worker does once the response is sent: untimed
    median, p95 = median_and_p95(timings)
    return median, p95, len(queries), _main_plan(queries.captured_queries)
