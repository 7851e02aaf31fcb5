"""The visit form as a grid member fills it at the door: it opens at the present minute in the
portal's time zone, offers "use my location", and records whom they met, what they found and
whether it needs following up, with history, shown in the visit list."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from archives.admin.visits import visit_initial_time
from archives.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_the_initial_time_is_now_in_the_portals_time_zone_to_the_minute():
    # 23:40 in UTC is already the next morning in Shanghai: the date must be Shanghai's.
    now = dt.datetime(2026, 11, 30, 23, 40, 27, 5, tzinfo=dt.UTC)
    assert visit_initial_time(now) == dt.datetime(2026, 12, 1, 7, 40, tzinfo=SHANGHAI)


def test_a_grid_member_opens_a_visit_form_dated_now_with_a_location_button(client, two_grids):
    client.force_login(two_grids["clerk"])
    with time_machine.travel(dt.datetime(2026, 11, 30, 23, 40, 27, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("admin:archives_visit_add"))
    form = response.context["adminform"].form
    assert form["visited_at"].value() == dt.datetime(2026, 12, 1, 7, 40, tzinfo=SHANGHAI)
    page = response.content.decode()
    assert 'value="2026/12/01"' in page and 'value="07:40"' in page
    assert "使用我的位置" in page and 'class="button use-location"' in page
    assert "archives/visit_location.js" in page  # a static script: the CSP refuses inline ones
    assert "<script>" not in page
    for label in ("见到的人", "走访发现", "需要跟进"):
        assert label in page


def test_a_visit_is_saved_with_whom_was_met_findings_and_follow_up_with_history(client, two_grids):
    household = two_grids["resident"].household
    client.force_login(two_grids["clerk"])
    response = client.post(
        reverse("admin:archives_visit_add"),
        {
            "household": household.pk,
            "grid_member": two_grids["clerk"].pk,
            "visited_at_0": "2026-11-20",
            "visited_at_1": "09:30",
            "met": "nobody",
            "findings": "门口堆放杂物，邻居说老人住院了",
            "needs_follow_up": "on",
            "latitude": "42.904823",
            "longitude": "129.513312",
            "note": "",
            "change_reason": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    visit = Visit.objects.get()
    assert visit.met == Visit.Met.NOBODY and visit.needs_follow_up
    assert visit.history.get().findings == "门口堆放杂物，邻居说老人住院了"
    assert visit.history.get().history_user == two_grids["clerk"]

    page = client.get(reverse("admin:archives_visit_changelist")).content.decode()
    assert "无人在家" in page and "门口堆放杂物" in page
    follow_ups = client.get(
        reverse("admin:archives_visit_changelist"), {"needs_follow_up__exact": "1"}
    )
    assert list(follow_ups.context["cl"].result_list) == [visit]


def test_an_old_visit_without_whom_was_met_still_opens(client, two_grids):
    visit = Visit.objects.create(
        grid_member=two_grids["clerk"],
        household=two_grids["resident"].household,
        visited_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI),
    )
    client.force_login(two_grids["clerk"])
    response = client.get(reverse("admin:archives_visit_change", args=[visit.pk]))
    assert response.status_code == 200
    assert response.context["adminform"].form["visited_at"].value() == visit.visited_at


def test_a_visit_in_another_grid_cannot_be_logged(client, two_grids):
    other = factories.make_household(grid=two_grids["other_grid"])
    client.force_login(two_grids["clerk"])
    response = client.post(
        reverse("admin:archives_visit_add"),
        {
            "household": other.pk,
            "grid_member": two_grids["clerk"].pk,
            "visited_at_0": "2026-11-20",
            "visited_at_1": "09:30",
        },
    )
    assert response.status_code == 200 and not Visit.objects.exists()
