"""Who sees which round on the admin's pages (the list, a round's page, its history, a grid's
month), on the small city of tests/scoped_city.py with a round in each grid; and what a round's
page and a grid's month show."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrols import services
from patrols.models import Patrol
from tests import factories, scoped_city
from tests.patrols.conftest import MORNING, north_walk, walk

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
LIST = "/admin/patrols/patrol/"
#: The grids whose rounds each account sees: its own rounds, and its area's if it oversees one.
ROUNDS_SEEN = {
    "clerk": {"GA1a"},  # their own round (they are also a member of GA2a and GB1a, unwalked)
    "team": {"GA1b"},
    "community": {"GA1a", "GA1b"},
    "street": {"GA1a", "GA1b", "GA2a"},
    "official": {"GA1a", "GA1b", "GA2a", "GB1a"},
    "nobody": set(),
}
NO_ROUNDS_AT_ALL = {"department", "auditor"}  # their roles lack view_patrol


def walked_round(member, grid, *, at=MORNING, positions=None):
    patrol = services.patrol_start(actor=member, grid=grid, at=at)
    points = walk(at, positions or north_walk(12, from_lat=30.0, step=0.0003))
    services.patrol_points_record(
        patrol=patrol, actor=member, points=points, now=at + dt.timedelta(hours=1)
    )
    return services.patrol_end(patrol=patrol, actor=member, at=at + dt.timedelta(minutes=40))


@pytest.fixture
def city():
    city = scoped_city.build_city()
    walkers = {"GA1a": city.users["clerk"], "GA1b": city.users["team"]}
    for code in ("GA2a", "GB1a"):
        walker = factories.make_user(f"walker-{code}", role="grid member")
        city.grids[code].members.add(walker)
        factories.grant(walker, city.grids[code])
        walkers[code] = walker
    building = city.residents["GA1a"].household.building
    building.latitude, building.longitude = Decimal("30.001500"), Decimal("120.000000")
    building.save()
    city.rounds = {
        code: walked_round(walkers[code], city.grids[code], at=MORNING + dt.timedelta(hours=i))
        for i, code in enumerate(scoped_city.GRID_CODES)
    }
    return city


def listed_grids(content: str, city) -> set[str]:
    return {
        code
        for code, patrol in city.rounds.items()
        if reverse("admin:patrols_patrol_change", args=[patrol.pk]) in content
    }


@pytest.mark.parametrize("username", ROUNDS_SEEN)
def test_each_role_lists_the_rounds_of_its_own_work_or_its_area(client, city, username):
    client.force_login(city.users[username])
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed_grids(response.content.decode(), city) == ROUNDS_SEEN[username]


@pytest.mark.parametrize("username", sorted(NO_ROUNDS_AT_ALL))
def test_departments_and_auditors_see_no_round_anywhere(client, city, username):
    client.force_login(city.users[username])
    assert client.get(LIST).status_code == 403
    patrol = city.rounds["GB1a" if username == "auditor" else "GA2a"]
    for view in ("change", "history"):
        url = reverse(f"admin:patrols_patrol_{view}", args=[patrol.pk])
        assert client.get(url).status_code in (403, 404)
    grid = city.grids["GB1a" if username == "auditor" else "GA2a"]
    month = reverse("admin:patrols_patrol_grid_month") + f"?grid={grid.pk}&month=2026-11"
    assert client.get(month).status_code == 403


@pytest.mark.parametrize("username", ROUNDS_SEEN)
def test_a_rounds_page_and_history_open_in_scope_and_are_not_found_outside(client, city, username):
    client.force_login(city.users[username])
    for code, patrol in city.rounds.items():
        for view in ("change", "history"):
            url = reverse(f"admin:patrols_patrol_{view}", args=[patrol.pk])
            response = client.get(url)
            if code in ROUNDS_SEEN[username]:
                assert response.status_code == 200, (url, code)
            else:
                assert response.status_code == 404, (url, code)


def test_a_rounds_history_says_who_started_and_ended_it_and_why(client, city):
    client.force_login(city.users["community"])
    patrol = city.rounds["GA1a"]
    content = client.get(reverse("admin:patrols_patrol_history", args=[patrol.pk])).content
    text = content.decode()
    assert "clerk" in text
    assert "round ended" in text or "结束" in text


def test_nobody_may_add_change_or_delete_a_round_on_its_page(client, city):
    client.force_login(city.users["clerk"])
    patrol = city.rounds["GA1a"]
    page = client.get(reverse("admin:patrols_patrol_change", args=[patrol.pk])).content.decode()
    assert 'name="_save"' not in page
    assert client.get(reverse("admin:patrols_patrol_delete", args=[patrol.pk])).status_code == 403
    assert client.get("/admin/patrols/patrol/add/").status_code == 403
    assert "/admin/patrols/patrol/add/" not in client.get(LIST).content.decode()
    before = Patrol.objects.get(pk=patrol.pk).distance_m
    client.post(reverse("admin:patrols_patrol_change", args=[patrol.pk]), {"distance_m": 1})
    assert Patrol.objects.get(pk=patrol.pk).distance_m == before


def test_the_list_filters_by_state_grid_and_date_and_refuses_other_lookups(client, city):
    client.force_login(city.users["official"])
    grid = city.grids["GA2a"]
    content = client.get(f"{LIST}?grid={grid.pk}").content.decode()
    assert listed_grids(content, city) == {"GA2a"}
    assert "Rounds by day" in content or "按日" in content
    assert listed_grids(client.get(f"{LIST}?state=open").content.decode(), city) == set()
    dated = client.get(
        f"{LIST}?started_at__gte=2026-11-10+00:00:00%2B08:00&started_at__lt=2026-11-11+00:00:00%2B08:00"
    )
    assert listed_grids(dated.content.decode(), city) == set(scoped_city.GRID_CODES)
    assert client.get(f"{LIST}?member__password__startswith=p").status_code == 400


def test_the_list_shows_member_km_duration_points_and_buildings_passed(client, city):
    client.force_login(city.users["community"])
    content = client.get(f"{LIST}?grid={city.grids['GA1a'].pk}").content.decode()
    patrol = city.rounds["GA1a"]
    row = re.search(r"<tr[^>]*>.*?</tr>", content.split("<tbody>")[1], re.S).group(0)
    assert "clerk" in row
    assert f"{patrol.distance_m / 1000:.2f}" in row
    assert "40" in row  # minutes
    assert str(patrol.point_count) in row
    assert '<td class="field-buildings">1</td>' in row  # the GA1a building, 0 m off the walk


def test_the_list_runs_the_same_queries_for_one_round_as_for_many(client, city):
    client.force_login(city.users["official"])
    client.get(LIST)  # warm the caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    member = city.users["clerk"]
    for day in range(1, 6):
        walked_round(member, city.grids["GA1a"], at=MORNING + dt.timedelta(days=day))
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert listed_grids(response.content.decode(), city) == set(scoped_city.GRID_CODES)
    assert len(many) == len(few)


def test_a_rounds_page_draws_its_track_over_the_grids_buildings(client, city):
    client.force_login(city.users["community"])
    patrol = city.rounds["GA1a"]
    content = client.get(reverse("admin:patrols_patrol_change", args=[patrol.pk])).content
    svg = re.search(rb"<svg [^>]*class=\"patrol-map\".*?</svg>", content, re.S).group(0)
    root = ET.fromstring(svg)
    polyline = root.find(f".//{SVG}polyline")
    assert len(polyline.get("points").split()) == len(patrol.line) >= 2
    passed = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "") == "building passed"]
    assert [g.find(f"{SVG}text").text for g in passed] == ["GA1a路1号"]


def test_an_address_with_markup_is_escaped_on_the_rounds_page(client, city):
    building = city.residents["GA1a"].household.building
    building.address = '<script>alert("x")</script>'
    building.save()
    client.force_login(city.users["community"])
    patrol = city.rounds["GA1a"]
    content = client.get(reverse("admin:patrols_patrol_change", args=[patrol.pk])).content
    assert b'<script>alert("x")' not in content
    assert b"&lt;script&gt;alert(" in content


# A grid's month ----------------------------------------------------------------------------------


def grid_month(client, grid, month="2026-11"):
    return client.get(reverse("admin:patrols_patrol_grid_month") + f"?grid={grid.pk}&month={month}")


def test_a_supervisor_sees_a_grids_rounds_by_day_and_its_buildings_passed(client, city):
    other = factories.make_building(grid=city.grids["GA1a"], address="GA1a路9号")
    other.latitude, other.longitude = Decimal("30.020000"), Decimal("120.020000")
    other.save()
    client.force_login(city.users["community"])
    response = grid_month(client, city.grids["GA1a"])
    assert response.status_code == 200
    content = response.content.decode()
    assert "2026-11-10" in content
    assert reverse("admin:patrols_patrol_change", args=[city.rounds["GA1a"].pk]) in content
    assert response.context["data"].passed == 1
    assert response.context["coverage_percent"] == 50
    root = ET.fromstring(
        re.search(r"<svg [^>]*class=\"patrol-map\".*?</svg>", content, re.S).group(0)
    )
    states = {
        g.find(f"{SVG}text").text: g.get("class")
        for g in root.iter(f"{SVG}g")
        if (g.get("class") or "").startswith("building ")
    }
    assert states == {"GA1a路1号": "building passed", "GA1a路9号": "building unpassed"}
    # The month's rounds are drawn under the buildings, thin: here the one round of GA1a.
    assert len(root.findall(f".//{SVG}g[@class='faint-tracks']/{SVG}polyline")) == 1


def test_another_month_of_the_grid_has_no_rounds(client, city):
    client.force_login(city.users["community"])
    response = grid_month(client, city.grids["GA1a"], "2026-10")
    assert response.context["data"].rounds == 0
    assert response.context["data"].passed == 0


def test_a_member_sees_only_their_own_rounds_in_their_grids_month(client, city):
    colleague = factories.make_user("colleague", role="grid member")
    grid = city.grids["GA1a"]
    grid.members.add(colleague)
    factories.grant(colleague, grid)
    theirs = walked_round(colleague, grid, at=MORNING + dt.timedelta(days=2))
    client.force_login(city.users["clerk"])
    content = grid_month(client, grid).content.decode()
    assert reverse("admin:patrols_patrol_change", args=[city.rounds["GA1a"].pk]) in content
    assert reverse("admin:patrols_patrol_change", args=[theirs.pk]) not in content
    client.force_login(city.users["community"])
    assert (
        reverse("admin:patrols_patrol_change", args=[theirs.pk])
        in grid_month(client, grid).content.decode()
    )


def test_a_grids_month_outside_ones_area_is_not_found(client, city):
    client.force_login(city.users["community"])
    assert grid_month(client, city.grids["GB1a"]).status_code == 404
    assert grid_month(client, city.grids["GA2a"]).status_code == 404


def test_the_grid_list_links_each_grid_to_its_rounds_for_those_who_see_rounds(client, city):
    client.force_login(city.users["community"])
    content = client.get("/admin/archives/grid/").content.decode()
    url = reverse("admin:patrols_patrol_grid_month") + f"?grid={city.grids['GA1a'].pk}&amp;month="
    assert url in content
    client.force_login(city.users["department"])
    assert "rounds-link" not in client.get("/admin/archives/grid/").content.decode()
