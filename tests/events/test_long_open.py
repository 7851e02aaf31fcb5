"""The city's page of events red or yellow for more than N days, by who holds them."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from events.selectors import long_open_by_department
from events.services import event_accept, event_pass_up, event_transfer

URL = "/admin/events/event/long-open/"


def groups(content: str) -> dict[str, str]:
    """{group heading: its count}"""
    found = re.findall(
        r'<h2 id="event-group-\d+">(.*?) <span class="event-group-count">(\d+)</span>', content
    )
    return dict(found)


def test_long_open_events_are_grouped_by_who_holds_them(city, client):
    old = timezone.now() - dt.timedelta(days=10)
    at_community = city.report(at=old)
    transferred = city.report(at=old)
    event_pass_up(actor=city.community_staff, event=transferred, at=old)
    event_transfer(actor=city.street_official, event=transferred, department=city.housing, at=old)
    accepted = city.report(at=old)
    event_accept(actor=city.community_staff, event=accepted, at=old)
    recent = city.report(at=timezone.now())  # reported now: not long open
    recent.refresh_from_db()
    elsewhere = city.report(at=old, grid=city.other_grid)
    assert reverse("admin:events_event_long_open") == URL
    client.force_login(city.municipal)
    content = client.get(URL).content.decode()
    assert groups(content) == {city.housing.name: "1", "社区": "3"}
    for event in (at_community, transferred, accepted, elsewhere):
        assert reverse("admin:events_event_change", args=[event.pk]) in content
    assert reverse("admin:events_event_change", args=[recent.pk]) not in content
    assert "event-overdue" in content


def test_the_page_is_scoped_to_the_reader(city, client):
    old = timezone.now() - dt.timedelta(days=10)
    mine = city.report(at=old)
    other = city.report(at=old, grid=city.other_grid)
    client.force_login(city.street_official)
    content = client.get(URL).content.decode()
    assert reverse("admin:events_event_change", args=[mine.pk]) in content
    assert reverse("admin:events_event_change", args=[other.pk]) not in content
    client.force_login(city.housing_staff)
    content = client.get(URL).content.decode()
    assert groups(content) == {}


def test_days_can_be_chosen_and_a_bad_value_keeps_the_default(city, client, settings):
    settings.EVENT_LONG_OPEN_DAYS = 3
    five_days = city.report(at=timezone.now() - dt.timedelta(days=5))
    link = reverse("admin:events_event_change", args=[five_days.pk])
    client.force_login(city.municipal)
    assert link in client.get(URL).content.decode()
    assert link not in client.get(URL + "?days=7").content.decode()
    for bad in ("0", "-1", "abc", "100000"):
        response = client.get(URL, {"days": bad})
        assert response.status_code == 200
        content = response.content.decode()
        assert 'class="errorlist' in content and link in content


def test_the_page_runs_the_same_queries_however_many_events(
    city, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old = timezone.now() - dt.timedelta(days=10)
    city.report(at=old)
    client.force_login(city.municipal)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(10):
        event = city.report(at=old)
        event_pass_up(actor=city.community_staff, event=event, at=old)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200
    print("long-open page queries:", len(few.captured_queries))


def test_a_person_without_event_permissions_is_refused(db, client):
    from portal import roles
    from tests import factories

    client.force_login(factories.make_user("auditor", role=roles.AUDITOR))
    assert client.get(URL).status_code == 403


def test_the_selector_groups_by_department_first_then_by_level(city):
    old = timezone.now() - dt.timedelta(days=10)
    city.report(at=old)
    transferred = city.report(at=old)
    event_pass_up(actor=city.community_staff, event=transferred, at=old)
    event_transfer(actor=city.street_official, event=transferred, department=city.housing, at=old)
    found = long_open_by_department(city.municipal, days=3)
    assert [(g.name, g.count) for g in found] == [(city.housing.name, 1), ("社区", 1)]
    assert [e.pk for e in found[0].events] == [transferred.pk]
