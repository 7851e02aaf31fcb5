"""轨迹核验 on the visit list and the household page: ✓ when the member's round passed the
household's building around the visit, ✗ when their round did not, — when they had no round
then; computed in the list's one query."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archives.models import Visit
from patrols import services
from tests import factories
from tests.patrols.conftest import MORNING, north_walk, walk

pytestmark = pytest.mark.django_db

LIST = "/admin/archives/visit/"


@pytest.fixture
def visits(patrol_grid):
    """Three visits to the household at (30.0, 120.0): during a round that passed it, during a
    round 2 km north of it, and on a day without a round."""
    member, grid, household = patrol_grid["member"], patrol_grid["grid"], patrol_grid["household"]

    def round_at(at, from_lat):
        patrol = services.patrol_start(actor=member, grid=grid, at=at)
        services.patrol_points_record(
            patrol=patrol,
            actor=member,
            points=walk(at, north_walk(20, from_lat=from_lat)),
            now=at + dt.timedelta(hours=1),
        )
        services.patrol_end(patrol=patrol, actor=member, at=at + dt.timedelta(minutes=20))

    round_at(MORNING, 29.9990)  # passes (30.0, 120.0) about 4 minutes in
    afternoon = MORNING + dt.timedelta(hours=5)
    round_at(afternoon, 30.0200)  # 2.2 km north, never near

    def visit(at, note):
        return Visit.objects.create(
            grid_member=member, household=household, visited_at=at, note=note
        )

    return {
        "on": visit(MORNING + dt.timedelta(minutes=5), "在轨迹上"),
        "off": visit(afternoon + dt.timedelta(minutes=5), "不在轨迹上"),
        "none": visit(MORNING + dt.timedelta(days=3), "没有巡查"),
        "member": member,
        "household": household,
    }


def marks(content: str) -> dict[str, str]:
    """{note: mark} of each row of the visit list."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", content.split("<tbody>")[1], re.S)
    found = {}
    for row in rows:
        mark = re.search(
            r'class="field-track_check"><span class="track-check-\w+"[^>]*>(.)</span>', row
        )
        note = re.search(r'class="field-note">(.*?)</td>', row)
        assert note and mark, row
        found[note.group(1)] = mark.group(1)
    return found


def test_the_visit_list_marks_each_visit_on_off_or_without_a_track(client, visits):
    client.force_login(visits["member"])
    content = client.get(LIST).content.decode()
    assert marks(content) == {"在轨迹上": "✓", "不在轨迹上": "✗", "没有巡查": "—"}


def test_the_visit_list_filters_by_track_check(client, visits):
    client.force_login(visits["member"])
    assert set(marks(client.get(f"{LIST}?track_check=off").content.decode())) == {"不在轨迹上"}
    assert set(marks(client.get(f"{LIST}?track_check=on").content.decode())) == {"在轨迹上"}
    assert set(marks(client.get(f"{LIST}?track_check=none").content.decode())) == {"没有巡查"}


def test_the_visit_lists_queries_do_not_grow_with_its_rows(client, visits):
    client.force_login(visits["member"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for day in range(10):
        Visit.objects.create(
            grid_member=visits["member"],
            household=visits["household"],
            visited_at=MORNING + dt.timedelta(days=5 + day),
            note=f"more {day}",
        )
    with CaptureQueriesContext(connection) as many:
        content = client.get(LIST).content.decode()
    assert len(marks(content)) == 13
    assert len(many) == len(few)


def test_the_household_page_marks_its_latest_visits(client, visits):
    client.force_login(visits["member"])
    url = reverse("admin:archives_household_change", args=[visits["household"].pk])
    content = client.get(url).content.decode()
    section = content.split('class="household-visits')[1].split("</section>")[0]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    found = {}
    for item in items:
        note = next(n for n in ("不在轨迹上", "在轨迹上", "没有巡查") if n in item)
        found[note] = re.search(r'class="track-check-\w+"[^>]*>(.)</span>', item).group(1)
    assert found == {"在轨迹上": "✓", "不在轨迹上": "✗", "没有巡查": "—"}


def test_a_visit_to_a_building_without_a_position_is_unchecked(client, visits):
    building = visits["household"].building
    building.latitude = building.longitude = None
    building.save()
    client.force_login(visits["member"])
    assert set(marks(client.get(LIST).content.decode()).values()) == {"—"}


def test_a_new_visits_form_asks_for_the_position_as_it_opens_and_an_old_ones_does_not(
    client, visits
):
    client.force_login(visits["member"])
    add = client.get(f"/admin/archives/visit/add/?household={visits['household'].pk}")
    assert 'data-auto="1"' in add.content.decode()
    change = client.get(reverse("admin:archives_visit_change", args=[visits["on"].pk]))
    assert "use-location" in change.content.decode()
    assert 'data-auto="1"' not in change.content.decode()


def test_the_check_is_the_same_for_someone_overseeing_the_grid(client, visits, patrol_grid):
    official = factories.make_user("official", role="municipal official")
    client.force_login(official)
    assert marks(client.get(LIST).content.decode()) == {
        "在轨迹上": "✓",
        "不在轨迹上": "✗",
        "没有巡查": "—",
    }
