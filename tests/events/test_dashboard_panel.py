"""The dashboard's events panel: each person sees the events waiting for them, with their
lights, linking to each event's page; nothing for those without event permissions."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.services import event_accept, event_handle, event_pass_up, event_transfer
from portal import roles
from portal.dashboard import events_panel
from tests import factories
from tests.events.conftest import TUESDAY_9AM

LATER = TUESDAY_9AM + dt.timedelta(hours=1)
PANEL = 'class="dashboard-panel events-panel"'


def index(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_community_sees_what_waits_for_it_with_lights_and_links(city, client):
    to_accept = city.report()
    to_evaluate = city.report()
    event_accept(actor=city.community_staff, event=to_evaluate, at=LATER)
    event_handle(actor=city.community_staff, event=to_evaluate, note="已处理", at=LATER)
    elsewhere = city.report(grid=city.other_grid)
    page = index(client, city.community_staff)
    assert PANEL in page
    assert reverse("admin:events_event_change", args=[to_accept.pk]) in page
    assert reverse("admin:events_event_change", args=[to_evaluate.pk]) in page
    assert reverse("admin:events_event_change", args=[elsewhere.pk]) not in page
    assert "event-light-red" in page and "event-light-blue" in page
    panel = events_panel(city.community_staff)
    assert panel.count == 2 and panel.long_open


def test_an_event_moves_from_the_street_to_the_department_panel(city, client):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    link = reverse("admin:events_event_change", args=[event.pk])
    assert link in index(client, city.street_official)
    assert link not in index(client, city.housing_staff)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=LATER)
    assert link not in index(client, city.street_official)
    assert link in index(client, city.housing_staff)
    assert link not in index(client, city.health_staff)
    assert link not in index(client, city.community_staff)


def test_a_member_sees_an_empty_panel_without_the_long_open_link(city, client):
    city.report()
    page = index(client, city.member)
    assert PANEL in page
    assert reverse("admin:events_event_long_open") not in page
    assert reverse("admin:events_event_long_open") in index(client, city.municipal)


def test_nobody_without_event_permissions_gets_the_panel(db, client):
    auditor = factories.make_user("auditor", role=roles.AUDITOR)
    assert PANEL not in index(client, auditor)


def test_the_panel_runs_the_same_queries_however_many_events_wait(city):
    city.report()
    events_panel(city.community_staff)  # the scope's caches
    with CaptureQueriesContext(connection) as few:
        events_panel(city.community_staff)
    for _ in range(15):
        city.report()
    with CaptureQueriesContext(connection) as many:
        panel = events_panel(city.community_staff)
    assert panel.count == 16 and len(panel.events) == 10
    assert len(many.captured_queries) == len(few.captured_queries)
