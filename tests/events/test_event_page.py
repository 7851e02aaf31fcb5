"""An event's page: what it shows, the steps it offers (and only those), each step's form
posting to its service, refusals and version clashes shown as messages, and a constant number
of queries whatever the length of the chain."""

import datetime as dt
import io
import re

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from events.models import Event, EventStep, Level, Light
from events.services import (
    event_accept,
    event_handle,
    event_pass_up,
    event_send_back,
    event_transfer,
)
from tests.events.conftest import TUESDAY_9AM

Action = EventStep.Action
LATER = TUESDAY_9AM + dt.timedelta(hours=1)


def page_url(event: Event) -> str:
    return reverse("admin:events_event_change", args=[event.pk])


def step_url(event: Event, action: str) -> str:
    return reverse("admin:events_event_step", args=[event.pk, action])


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def offered(content: str) -> list[str]:
    return re.findall(
        r'<button type="submit" class="event-step button" name="action" value="(\w+)"', content
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_community_sees_the_event_and_may_accept_or_pass_it_up(city, client):
    event = city.report(latitude=30.5, longitude=114.3, photos=[jpeg()])
    client.force_login(city.community_staff)
    response = client.get(page_url(event))
    content = response.content.decode()
    assert response.status_code == 200
    assert "楼道里堆放建筑垃圾" in content and city.category.name in content
    assert city.grid.name in content and city.community.name in content
    assert "30.500000" in content and "114.300000" in content
    photo = event.photos.get()
    assert reverse("events:photo", args=[photo.pk]) in content
    assert offered(content) == [Action.ACCEPT, Action.PASS_UP, Action.EXPLAIN_DELAY]
    # Each form carries the version the reader saw and field ids named by their step.
    assert f'name="seen_version" value="{event.version}"' in content
    assert 'id="id_pass_up_note"' in content


def test_the_street_is_offered_transfer_only_to_departments_in_charge(city, client):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    client.force_login(city.street_official)
    content = client.get(page_url(event)).content.decode()
    assert Action.TRANSFER in offered(content)
    select = re.search(
        r'<select name="department"[^>]*id="id_transfer_department".*?</select>', content, re.S
    )
    assert select is not None
    assert city.housing.name in select.group(0) and city.health.name not in select.group(0)


def test_the_reporting_member_sees_no_step_and_a_department_does_not_see_it(city, client):
    event = city.report()
    client.force_login(city.member)
    response = client.get(page_url(event))
    assert response.status_code == 200 and offered(response.content.decode()) == []
    client.force_login(city.housing_staff)
    assert client.get(page_url(event)).status_code == 404
    client.force_login(city.other_community_staff)
    assert client.get(page_url(event)).status_code == 404


def test_a_step_posts_to_its_service_and_comes_back_with_a_message(city, client):
    event = city.report()
    client.force_login(city.community_staff)
    response = client.post(
        step_url(event, Action.ACCEPT), {"seen_version": event.version, "action": "accept"}
    )
    assert response.status_code == 302 and response["Location"] == page_url(event)
    event.refresh_from_db()
    assert event.light == Light.YELLOW
    assert any(f"#{event.pk}" in m for m in messages_of(response))


def test_handling_takes_a_note_and_photos(city, client):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event.refresh_from_db()
    client.force_login(city.community_staff)
    content = client.get(page_url(event)).content.decode()
    assert 'id="id_handle_note"' in content and 'id="id_handle_photos"' in content
    response = client.post(
        step_url(event, Action.HANDLE),
        {"seen_version": event.version, "note": "已清运", "photos": [jpeg("a.jpg"), jpeg("b.jpg")]},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.light == Light.BLUE
    assert event.steps.get(action=Action.HANDLE).photos.count() == 2


def test_a_step_without_its_text_shows_the_form_again_and_changes_nothing(city, client):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event.refresh_from_db()
    client.force_login(city.community_staff)
    response = client.post(
        step_url(event, Action.HANDLE), {"seen_version": event.version, "note": " "}
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    event.refresh_from_db()
    assert event.light == Light.YELLOW


def test_a_version_clash_is_a_message_and_changes_nothing(city, client):
    event = city.report()
    seen = event.version
    event_accept(actor=city.community_staff, event=event, at=LATER)  # someone else, meanwhile
    event.refresh_from_db()
    client.force_login(city.community_staff)
    response = client.post(step_url(event, Action.HANDLE), {"seen_version": seen, "note": "已处理"})
    assert response.status_code == 200
    assert any("Someone else acted" in m or "其他人" in m for m in messages_of(response))
    event.refresh_from_db()
    assert event.light == Light.YELLOW and not event.steps.filter(action=Action.HANDLE).exists()


def test_a_refused_step_comes_back_with_the_typed_note_against_the_version_now_shown(city, client):
    event = city.report()
    seen = event.version
    event_accept(actor=city.community_staff, event=event, at=LATER)  # someone else, meanwhile
    event.refresh_from_db()
    steps_before, version_before = event.steps.count(), event.version
    client.force_login(city.community_staff)
    response = client.post(
        step_url(event, Action.HANDLE),
        {"seen_version": seen, "note": "已清运楼道垃圾，共三车"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert messages_of(response)
    # The note is back in the handling form, which now carries the version shown.
    form = re.search(r"<form[^>]*event-step-form-handle.*?</form>", content, re.S)
    assert form is not None
    assert "已清运楼道垃圾，共三车" in form.group(0)
    assert f'name="seen_version" value="{version_before}"' in form.group(0)
    event.refresh_from_db()
    assert (event.steps.count(), event.version) == (steps_before, version_before)
    assert not event.steps.filter(action=Action.HANDLE).exists()


def test_a_step_no_longer_offered_shows_what_was_typed_to_copy(city, client):
    event = city.report()
    client.force_login(city.community_staff)
    response = client.post(
        step_url(event, Action.SEND_BACK), {"seen_version": event.version, "reason": "没有修好"}
    )
    assert response.status_code == 200 and messages_of(response)
    content = response.content.decode()
    assert "没有修好" in content
    assert Action.SEND_BACK not in offered(content)
    event.refresh_from_db()
    assert event.light == Light.RED and not event.steps.filter(action=Action.SEND_BACK).exists()


def test_a_step_out_of_turn_is_a_message_and_changes_nothing(city, client):
    event = city.report()
    client.force_login(city.community_staff)
    version = event.version
    response = client.post(step_url(event, Action.CONFIRM), {"seen_version": version})
    assert response.status_code == 200 and messages_of(response)
    event.refresh_from_db()
    assert event.light == Light.RED and event.version == version


def test_a_transfer_to_a_department_not_in_charge_is_refused(city, client):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    event.refresh_from_db()
    client.force_login(city.street_official)
    response = client.post(
        step_url(event, Action.TRANSFER),
        {"seen_version": event.version, "department": city.health.pk},
    )
    # Not among the choices offered: the form refuses it before the service would.
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.level == Level.STREET


def test_a_step_outside_ones_scope_is_403_and_changes_nothing(city, client):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=LATER)
    event.refresh_from_db()
    # The street still sees the event it transferred, but acts no more for the department.
    client.force_login(city.street_official)
    response = client.post(step_url(event, Action.ACCEPT), {"seen_version": event.version})
    assert response.status_code == 403
    # Outside one's area: the event is not there at all.
    client.force_login(city.other_street_official)
    response = client.post(step_url(event, Action.ACCEPT), {"seen_version": event.version})
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.light == Light.RED and event.level == Level.DEPARTMENT


def test_a_get_to_a_step_and_an_unknown_step_change_nothing(city, client):
    event = city.report()
    client.force_login(city.community_staff)
    assert client.get(step_url(event, Action.ACCEPT)).status_code == 405
    assert client.post(step_url(event, "demolish"), {"seen_version": 1}).status_code == 404
    assert client.post(page_url(event), {}).status_code == 405


def test_the_page_shows_returns_send_backs_escalation_and_the_chain(city, client):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event_handle(actor=city.community_staff, event=event, note="已处理", at=LATER, photos=[jpeg()])
    event_send_back(actor=city.community_staff, event=event, reason="垃圾仍在", at=LATER)
    client.force_login(city.municipal)
    content = client.get(page_url(event)).content.decode()
    assert 'class="event-send-backs">1<' in content
    assert "垃圾仍在" in content and "已处理" in content
    assert content.count('class="event-chain-step ') == 4
    assert "event-overdue" in content  # November 2026 is long past its limits


def _grow(city, event: Event, rounds: int) -> None:
    event_accept(actor=city.community_staff, event=event, at=LATER)
    for _ in range(rounds):
        event_handle(
            actor=city.community_staff,
            event=event,
            note="已处理",
            at=LATER,
            photos=[jpeg(), jpeg()],
        )
        event_send_back(actor=city.community_staff, event=event, reason="仍在", at=LATER)


def test_the_page_runs_the_same_queries_however_long_the_chain(
    city, client, django_assert_max_num_queries
):
    short, long = city.report(), city.report()
    _grow(city, short, 1)
    _grow(city, long, 6)
    client.force_login(city.community_staff)
    client.get(page_url(short))  # warm the caches a first request fills
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(page_url(short)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page_url(long))
    assert response.content.decode().count('class="event-chain-step ') == 14
    print("event page queries:", len(few.captured_queries))


def test_the_address_is_shown_only_to_those_whose_files_show_it(city, client):
    from tests import factories

    building = factories.make_building(grid=city.grid, address="幸福路8号")
    household = factories.make_household(building=building)
    event = city.report(household=household)
    client.force_login(city.community_staff)
    assert "幸福路8号" in client.get(page_url(event)).content.decode()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=LATER)
    client.force_login(city.housing_staff)
    response = client.get(page_url(event))
    assert response.status_code == 200
    content = response.content.decode()
    assert "幸福路8号" not in content and 'class="event-place"' in content
