"""The clerk's task lists on the dashboard: each row says why it is there, and each list opens
in full as a filtered admin list (a filter the list declares)."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from archives import selectors
from archives.models import Household, Tag, Visit
from portal import dashboard as dashboards
from portal.roles import AUDITOR
from tests import factories

pytestmark = pytest.mark.django_db


def tag(code: str, name: str, visits: int) -> Tag:
    return Tag.objects.create(code=code, name=name, needs_visits_per_month=visits)


@pytest.fixture
def tags(db) -> dict[str, Tag]:
    return {
        "alone": tag("elderly-alone", "独居老人", 2),
        "disabled": tag("disabled", "残疾", 1),
        "away": tag("working-away", "外出务工", 0),
    }


def page_of(client, user, url: str = "/admin/", **params) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_household_says_which_tag_asks_for_visits_and_how_many_are_done(two_grids, tags):
    resident = two_grids["resident"]
    resident.tags.add(tags["disabled"], tags["alone"], tags["away"])
    Visit.objects.create(
        grid_member=two_grids["clerk"], household=resident.household, visited_at=timezone.now()
    )
    [household] = selectors.households_short_of_visits(two_grids["clerk"], timezone.localdate())
    # The tag that asks the most is the reason: twice a month for an elderly resident alone.
    assert (household.visits_tag, household.visits_made, household.visits_needed) == (
        "独居老人",
        1,
        2,
    )


def test_the_dashboard_row_reads_tag_and_visits_done_of_needed_this_month(client, two_grids, tags):
    two_grids["resident"].tags.add(tags["disabled"])
    page = page_of(client, two_grids["clerk"])
    assert "残疾 · 本月 0/1 次" in page
    # The help line says what each tag asks, not only "twice a month" over a row needing one.
    assert "独居老人：每月 2 次" in page and "残疾：每月 1 次" in page
    assert "外出务工" not in page


def test_the_lists_stop_at_ten_rows_and_link_to_all_of_them(client, two_grids, tags):
    grid = two_grids["grid"]
    for n in range(12):
        factories.make_resident(grid=grid, name=f"崔{n}").tags.add(tags["alone"])
    page = page_of(client, two_grids["clerk"])
    short = page.split('class="module dashboard-list short-of-visits"')[1]
    assert short.count("log-visit") == dashboards.LIST_LENGTH
    households_url = reverse("admin:archives_household_changelist") + "?visits=short"
    residents_url = reverse("admin:archives_resident_changelist") + "?verification=due"
    assert f'href="{households_url}"' in page and "查看全部 12 条" in page
    assert f'href="{residents_url}"' in page and "查看全部 13 条" in page


def test_all_households_still_to_visit_are_listed_with_their_reason(client, two_grids, tags):
    grid = two_grids["grid"]
    for n in range(12):
        factories.make_resident(grid=grid, name=f"崔{n}").tags.add(tags["alone"])
    visited = factories.make_resident(grid=grid, name="安")
    visited.tags.add(tags["disabled"])
    Visit.objects.create(
        grid_member=two_grids["clerk"], household=visited.household, visited_at=timezone.now()
    )
    page = page_of(
        client, two_grids["clerk"], reverse("admin:archives_household_changelist"), visits="short"
    )
    assert len(re.findall(r"独居老人 · 本月 0/2 次", page)) == 12
    assert str(visited.household) not in page  # its one visit a month is done
    assert "本月待走访" in page  # the filter is declared and shown as chosen


def test_all_residents_due_for_verification_are_listed(client, two_grids):
    grid = two_grids["grid"]
    fresh = factories.make_resident(grid=grid, name="新核实")
    fresh.last_verified_at = timezone.now() - dt.timedelta(days=3)
    fresh.save()
    page = page_of(
        client,
        two_grids["clerk"],
        reverse("admin:archives_resident_changelist"),
        verification="due",
    )
    assert two_grids["resident"].name in page and "新核实" not in page
    assert "180 天内未核实" in page  # the filter's choice names the window


def test_the_unfiltered_household_list_has_no_reason_column(client, two_grids, tags):
    two_grids["resident"].tags.add(tags["alone"])
    page = page_of(client, two_grids["clerk"], reverse("admin:archives_household_changelist"))
    assert "本月 0/2 次" not in page
    assert Household.objects.count() == 2


def test_an_auditors_campaign_links_to_the_items_left_to_check(client, two_grids, admin_user):
    auditor = factories.make_user("auditor", role=AUDITOR)
    campaign = factories.make_drawn_campaign(
        street=two_grids["grid"].community.street, auditor=auditor, actor=admin_user
    )
    page = page_of(client, auditor)
    url = f"{reverse('admin:audits_audititem_changelist')}?campaign={campaign.pk}&amp;checked=no"
    assert f'href="{url}"' in page
    listed = client.get(url.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == list(campaign.items.all())
