"""The officials' dashboards show the month's micro-wish figures of their area: a street's
communities, the city's streets, a department's claims; as many queries for more
communities."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives.models import Community, Department, Street
from portal import dashboard as dashboards
from portal.roles import DEPARTMENT_STAFF, MUNICIPAL_OFFICIAL, STREET_OFFICIAL
from tests import factories
from tests.wishes.figures_city import seed_wishes
from wishes.selectors.figures import wish_figures_total, wish_month_figures

NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wish_city(db):
    streets = [Street.objects.create(code=f"DS{n}", name=f"东{n}街道") for n in range(2)]
    communities = [
        Community.objects.create(code=f"DC{n}", name=f"东{n}社区", street=streets[n % 2])
        for n in range(4)
    ]
    departments = [Department.objects.create(code=f"DD{n}", name=f"局{n}") for n in range(2)]
    seed_wishes(
        seed=7,
        count=300,
        communities=communities,
        departments=departments,
        staff=factories.make_user("poster"),
    )
    return streets, communities, departments


def test_a_street_official_sees_their_street_s_communities_this_month(wish_city, client):
    streets, communities, _departments = wish_city
    official = factories.make_user("street", role=STREET_OFFICIAL)
    factories.grant(official, streets[0])
    table = dashboards.dashboard(official, NOW)["official_panel"].wish_figures
    own = [c for c in communities if c.street_id == streets[0].pk]
    assert table.month == NOVEMBER and [r.name for r in table.rows] == [c.name for c in own]
    expected = wish_month_figures(NOVEMBER, by="community", communities=[c.pk for c in own])
    assert table.rows == expected and table.total == wish_figures_total(expected)
    assert table.departments == [] and table.total.claimed > 0

    client.force_login(official)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/").content.decode()
    assert "2026年11月微心愿" in page and "发布心愿数" in page and "实现天数中位数" in page
    row = table.rows[0]
    median = row.median_days_to_fulfil
    cells = [row.posted, row.claimed, row.fulfilled, "—" if median is None else f"{median:.1f}"]
    assert (
        f'<tr><th scope="row">{row.name}</th>' + "".join(f"<td>{c}</td>" for c in cells)
    ) in page


def test_a_municipal_official_sees_the_streets_and_the_city(wish_city):
    streets, _communities, _departments = wish_city
    official = factories.make_user("city", role=MUNICIPAL_OFFICIAL)
    table = dashboards.dashboard(official, NOW)["official_panel"].wish_figures
    assert [r.name for r in table.rows] == [s.name for s in streets]
    assert table.total == wish_figures_total(wish_month_figures(NOVEMBER, by="community"))


def test_a_department_s_staff_see_their_department_s_claims(wish_city):
    _streets, _communities, departments = wish_city
    staff = factories.make_user("bureau", role=DEPARTMENT_STAFF)
    factories.grant(staff, departments[1])
    table = dashboards.dashboard(staff, NOW)["official_panel"].wish_figures
    assert table.rows == [] and table.total is None
    assert table.departments == wish_month_figures(NOVEMBER, by="department")[1:]
    assert table.departments[0].claimed > 0


def test_the_table_runs_as_many_queries_for_more_communities(wish_city):
    streets, _communities, _departments = wish_city
    official = factories.make_user("street", role=STREET_OFFICIAL)
    factories.grant(official, streets[0])

    def queries() -> int:
        reader = type(official).objects.get(pk=official.pk)  # no cached permissions
        with CaptureQueriesContext(connection) as seen:
            table = dashboards.wish_figures_table(reader, NOVEMBER)
        assert table is not None and table.rows
        return len(seen)

    before = queries()
    more = [
        Community.objects.create(code=f"DM{n}", name=f"新{n}社区", street=streets[0])
        for n in range(6)
    ]
    seed_wishes(
        seed=8,
        count=120,
        communities=more,
        departments=[],
        staff=factories.make_user("another poster"),
    )
    assert queries() == before
