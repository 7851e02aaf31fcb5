"""Server times of the admin's pages as each role sees them (changelists, searches,
dashboards), and a clerk's save of a resident with history."""

import time

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from archives import scope
from archives.models import Grid, Resident
from bench.table import BenchFailed, Row, median_and_p95


def changelist_timings(requests: int) -> list[Row]:
    grid = Grid.objects.order_by("pk")[0]  # the bench city has grids and residents
    sample = Resident.objects.order_by("-pk").only("id_number", "name", "phone")[0]
    residents = "/admin/archives/resident/"
    # (account, what, url); each account sees the list through its own scope.
    cases = [
        ("admin", "resident changelist, first page", residents),
        ("admin", "resident changelist, one grid", f"{residents}?grid={grid.pk}"),
        ("admin", "resident search by ID number", f"{residents}?q={sample.id_number}"),
        # archives/search.py: each through its index (a UNION of IDs for name and address).
        ("admin", "resident search by surname", f"{residents}?q={sample.name[:1]}"),
        ("admin", "resident search by phone last 4", f"{residents}?q={sample.phone[-4:]}"),
        ("clerk", "grid member: search by surname", f"{residents}?q={sample.name[:1]}"),
        ("admin", "visit changelist, first page", "/admin/archives/visit/"),
        ("clerk", "grid member: resident changelist", residents),
        ("street", "street official: resident changelist", residents),
        ("street", "street official: visit changelist", "/admin/archives/visit/"),
        ("department", "department (health): resident changelist", residents),
        ("official", "municipal official: resident changelist", residents),
        # The index with each role's dashboard (portal/dashboard.py).
        ("clerk", "grid member: dashboard", "/admin/"),
        ("street", "street official: dashboard", "/admin/"),
        ("official", "municipal official: dashboard", "/admin/"),
    ]
    accounts = get_user_model().objects.in_bulk(
        {username for username, _what, _url in cases}, field_name="username"
    )
    rows = []
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for username, what, url in cases:
            client = Client()
            client.force_login(accounts[username])
            median, p95, queries = _time_get(client, url, requests)
            rows.append(
                Row(
                    f"admin as {username}: {what}",
                    f"{median:.0f}",
                    "ms median",
                    f"p95 {p95:.0f} ms, {queries} queries",
                )
            )
    return rows


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


def _time_get(client: Client, url: str, requests: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches, as a user's second page load would be
    timings = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchFailed(f"{url} answered {response.status_code}")
    median, p95 = median_and_p95(timings)
    return median, p95, len(queries)
