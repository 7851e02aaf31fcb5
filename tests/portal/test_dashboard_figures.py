"""The officials' street figures add up per-grid figures counted for the whole city by a
periodic job (``portal.tasks``) and kept in the shared cache: the same numbers as counting
each reader's rows, never another street's, refreshed by the job; department staff are still
counted through their own scope."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives import scope, selectors
from archives.demo.city import CitySize
from archives.models import Department, Grid, Household, Resident, Street, Visit
from archives.months import month_bounds
from portal import dashboard as dashboards
from portal.celery import app
from portal.tasks import dashboard_figures_refresh
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 20)
NOW = dt.datetime.combine(TODAY, dt.time(11), tzinfo=dt.timezone(dt.timedelta(hours=8)))
SIZE = CitySize(residents=300, grids=4, streets=2, grids_per_community=2)


@pytest.fixture
def city(settings):
    settings.DEBUG = True
    with factories.demo_city_on(TODAY, NOW, SIZE):
        yield


def streets() -> list[Street]:
    return list(Street.objects.order_by("code"))


def account(username: str):
    return get_user_model().objects.get(username=username)


def on_dashboard(user) -> dict[str, tuple[int, ...]]:
    """What the street table shows ``user``: (grids, households, residents, visits, verified
    recently, new) per street code."""
    figures = selectors.street_counts_now(
        user, timezone.localdate(), timezone.now(), selectors.grids_by_street(user)
    )
    return {
        row.street.code: (
            row.grids,
            row.households,
            row.residents,
            row.visits,
            row.verified_recently,
            row.new,
        )
        for row in figures.streets
    }


def counted_live(user) -> dict[str, tuple[int, ...]]:
    """The same figures counted street by street from the rows ``user`` may see, joined up to
    the street: the slow way the kept figures replace."""
    begins, ends = month_bounds(TODAY)
    recently = timezone.now() - selectors.VERIFY_EVERY
    created = Resident.history.filter(
        history_type="+", history_date__gte=begins, history_date__lt=ends
    ).values("id")
    counts: dict[str, tuple[int, ...]] = {}
    for street in scope.restrict(Street.objects.all(), user):
        residents = scope.restrict(Resident.objects.all(), user).filter(
            grid__community__street=street
        )
        active = residents.filter(residency_status__in=Resident.ACTIVE_STATUSES)
        counts[street.code] = (
            scope.restrict(Grid.objects.all(), user).filter(community__street=street).count(),
            scope.restrict(Household.objects.all(), user)
            .filter(building__grid__community__street=street)
            .count(),
            active.count(),
            scope.restrict(Visit.objects.all(), user)
            .filter(grid__community__street=street, visited_at__gte=begins, visited_at__lt=ends)
            .count(),
            active.filter(last_verified_at__gte=recently).count(),
            residents.filter(pk__in=created).count(),
        )
    return counts


def resident_reads(captured: CaptureQueriesContext) -> int:
    return sum('FROM "archives_resident"' in query["sql"] for query in captured.captured_queries)


def move(resident: Resident, grid: Grid) -> None:
    resident.household = factories.make_household(grid=grid)
    resident.save()


@pytest.mark.parametrize("username", ["street", "official", "admin"])
def test_the_kept_figures_add_up_to_the_readers_own_counts(city, username):
    user = account(username)
    first, second = (Grid.objects.filter(community__street=s).order_by("pk")[0] for s in streets())
    factories.make_resident(grid=first)
    # New this month and moved to the other street: new where they live now.
    move(factories.make_resident(grid=first, name="王芳"), second)
    dashboard_figures_refresh.delay()
    with CaptureQueriesContext(connection) as captured:
        shown = on_dashboard(user)
    assert resident_reads(captured) == 0  # added up from the kept figures
    assert shown == counted_live(user)
    assert all(row[2] and row[3] and row[4] and row[5] for row in shown.values()), shown


def test_a_street_official_sees_only_their_streets_figures(city):
    dashboard_figures_refresh.delay()  # kept for the whole city
    street_official = on_dashboard(account("street"))
    whole_city = on_dashboard(account("official"))
    [code] = street_official
    assert len(whole_city) == 2 and code in whole_city
    assert street_official[code] == whole_city[code]


def test_department_staff_are_counted_through_their_own_scope(city):
    staff = account("department")
    dashboard_figures_refresh.delay()
    shown = on_dashboard(staff)
    assert shown == counted_live(staff)
    whole_city = on_dashboard(account("official"))
    # The residents the department serves, not the whole of its streets: and no visits.
    assert sum(row[2] for row in shown.values()) < sum(row[2] for row in whole_city.values())
    assert all(row[3] == 0 for row in shown.values())

    served = Department.objects.get(code="health").served_tags.order_by("pk")[0]
    factories.make_resident(grid=Grid.objects.order_by("pk")[0]).tags.add(served)
    after = on_dashboard(staff)  # at once, without a refresh
    assert sum(row[2] for row in after.values()) == sum(row[2] for row in shown.values()) + 1


def test_a_new_resident_shows_after_the_next_refresh(city):
    street_official = account("street")
    dashboard_figures_refresh.delay()
    before = on_dashboard(street_official)
    [code] = before
    grid = Grid.objects.filter(community__street__code=code).order_by("pk")[0]
    factories.make_resident(grid=grid)
    assert on_dashboard(street_official) == before  # the kept figures, until the refresh

    dashboard_figures_refresh.delay()
    (grids, households, residents, visits, verified, new) = before[code]
    assert on_dashboard(street_official)[code] == (
        grids,
        households + 1,
        residents + 1,
        visits,
        verified,
        new + 1,
    )


def test_the_beat_schedule_runs_the_refresh_more_often_than_panels_are_kept():
    app.loader.import_default_modules()  # the worker's autodiscovery of tasks modules
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == dashboard_figures_refresh.name
    ]
    assert all(entry["task"] in app.tasks for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert entry["schedule"] == settings.DASHBOARD_REFRESH_SECONDS
    assert settings.DASHBOARD_REFRESH_SECONDS < settings.DASHBOARD_CACHE_SECONDS


def test_without_a_refresh_the_first_reader_counts_the_figures_once(city):
    official, street_official = account("official"), account("street")
    with CaptureQueriesContext(connection) as first:
        counted = on_dashboard(official)
    with CaptureQueriesContext(connection) as second:
        assert on_dashboard(official) == counted
        on_dashboard(street_official)
    assert resident_reads(first) > 0
    assert resident_reads(second) == 0
    assert counted == counted_live(official)


def test_the_panel_says_when_the_kept_figures_were_counted(city, client):
    dashboard_figures_refresh.delay()
    refreshed_at = timezone.now()
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        panel = dashboards.dashboard(account("official"))["official_panel"]
        client.force_login(account("official"))
        page = client.get("/admin/").content.decode()
    assert panel.computed_at == refreshed_at
    assert "数据截至 11:00。" in page


def test_a_grid_added_since_the_refresh_is_counted_at_once(city):
    dashboard_figures_refresh.delay()
    official = account("official")
    before = on_dashboard(official)
    grid = factories.make_grid(street_code=Street.objects.order_by("code")[0].code)
    factories.make_resident(grid=grid)
    after = on_dashboard(official)
    code = grid.community.street.code
    assert after[code][0] == before[code][0] + 1
    assert after[code][2] == before[code][2] + 1
