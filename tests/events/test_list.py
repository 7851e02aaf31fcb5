"""The events list: each reader's events in chain order, with lights, holders and how late."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from events.display import overdue_text
from events.models import Event, Light
from events.selectors import event_overdue_hours
from events.services import (
    event_accept,
    event_confirm,
    event_handle,
    event_pass_up,
    event_transfer,
)
from tests.events.conftest import TUESDAY_9AM

LIST = reverse("admin:events_event_changelist")
NOW = timezone.make_aware(dt.datetime(2026, 11, 12, 9, 0))


def rows(response) -> list[str]:
    """The event numbers on the page, in order."""
    number = r'<th [^>]*class="field-number"[^>]*><a [^>]*>#(\d+)</a>'
    return re.findall(number, response.content.decode())


def to_housing(city, event: Event) -> None:
    event_pass_up(actor=city.community_staff, event=event)
    event_transfer(actor=city.street_official, event=event, department=city.housing)


def due(event: Event, when: dt.datetime) -> Event:
    Event.objects.filter(pk=event.pk).update(stage_due_at=when)
    event.refresh_from_db()
    return event


# How late --------------------------------------------------------------------------------------


def test_overdue_hours_count_whole_hours_past_the_limit(city):
    event = due(city.report(), NOW - dt.timedelta(hours=5, minutes=59))
    assert event_overdue_hours(event, NOW) == 5
    assert event_overdue_hours(event, NOW - dt.timedelta(hours=6)) is None  # exactly at: in time
    assert event_overdue_hours(event, NOW - dt.timedelta(hours=5, minutes=58)) == 0
    assert event_overdue_hours(due(event, NOW - dt.timedelta(hours=51)), NOW) == 51


def test_a_closed_event_or_one_without_limit_is_never_overdue(city):
    event = due(city.report(), None)  # type: ignore[arg-type]
    assert event_overdue_hours(event, NOW) is None
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=TUESDAY_9AM)
    event_handle(actor=city.community_staff, event=event, note="已清理", at=TUESDAY_9AM)
    event_confirm(actor=city.community_staff, event=event, at=TUESDAY_9AM)
    event.refresh_from_db()
    assert event.light == Light.GREEN
    assert event_overdue_hours(event, NOW + dt.timedelta(days=30)) is None


def test_overdue_text_says_hours_then_days_and_hours(settings):
    settings.LANGUAGE_CODE = "en"
    assert overdue_text(None) == ""
    assert overdue_text(5) == "5 h over"
    assert overdue_text(24) == "1 d 0 h over"
    assert overdue_text(51) == "2 d 3 h over"


def test_overdue_text_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert overdue_text(5) == "超时 5 小时"
        assert overdue_text(51) == "超时 2 天 3 小时"


# The list -----------------------------------------------------------------------------------


def test_the_list_shows_light_holder_and_overdue(city, client):
    late = due(city.report(description="井盖缺失"), timezone.now() - dt.timedelta(hours=51))
    to_housing(city, late)
    due(late, timezone.now() - dt.timedelta(hours=51))
    client.force_login(city.community_staff)
    response = client.get(LIST)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="event-light event-light-red"' in content
    assert "住建局" in content  # held by the department it was transferred to
    assert "2 天 3 小时" in content
    assert city.grid.name in content and "建筑垃圾" in content


def test_each_reader_sees_only_their_events(city, client):
    mine = city.report()
    other = city.report(grid=city.other_grid)
    client.force_login(city.community_staff)
    assert rows(client.get(LIST)) == [str(mine.pk)]
    client.force_login(city.other_community_staff)
    assert rows(client.get(LIST)) == [str(other.pk)]
    client.force_login(city.health_staff)  # nothing transferred to health
    assert rows(client.get(LIST)) == []
    client.force_login(city.municipal)
    assert sorted(rows(client.get(LIST))) == sorted([str(mine.pk), str(other.pk)])


def test_chain_order_open_by_limit_then_closed_newest_first(city, client):
    later = due(city.report(), NOW + dt.timedelta(hours=8))
    sooner = due(city.report(), NOW + dt.timedelta(hours=1))
    closed = []
    for day in (1, 2):
        event = city.report()
        at = TUESDAY_9AM + dt.timedelta(days=day)
        event_accept(actor=city.community_staff, event=event, at=at)
        event_handle(actor=city.community_staff, event=event, note="已处理", at=at)
        event_confirm(actor=city.community_staff, event=event, at=at)
        closed.append(event)
    client.force_login(city.municipal)
    order = rows(client.get(LIST))
    assert order == [str(e.pk) for e in (sooner, later, closed[1], closed[0])]


def test_filters_by_overdue_light_and_search(city, client):
    late = due(city.report(description="井盖缺失"), timezone.now() - dt.timedelta(hours=3))
    in_time = due(city.report(description="死禽"), timezone.now() + dt.timedelta(hours=3))
    event_accept(actor=city.community_staff, event=in_time)
    client.force_login(city.municipal)
    assert rows(client.get(LIST, {"overdue": "yes"})) == [str(late.pk)]
    assert rows(client.get(LIST, {"overdue": "no"})) == [str(in_time.pk)]
    assert rows(client.get(LIST, {"light__exact": "yellow"})) == [str(in_time.pk)]
    assert rows(client.get(LIST, {"q": "井盖"})) == [str(late.pk)]
    assert rows(client.get(LIST, {"level__exact": "community"})) != []
    assert rows(client.get(LIST, {"urgency__exact": "critical"})) == []
    # Anything the list does not offer is refused.
    assert client.get(LIST, {"reporter__username": "member"}).status_code == 400


def test_events_cannot_be_deleted(city, client):
    event = city.report()
    client.force_login(city.community_staff)
    url = reverse("admin:events_event_delete", args=[event.pk])
    client.post(url, {"post": "yes"})
    assert Event.objects.filter(pk=event.pk).exists()
    assert "delete_selected" not in client.get(LIST).content.decode()


@pytest.mark.parametrize("reader", ["community_staff", "municipal", "housing_staff"])
def test_the_list_costs_the_same_for_5_and_40_events(
    city, client, django_assert_max_num_queries, reader
):
    def report(count: int) -> None:
        for number in range(count):
            event = city.report(description=f"事件 {number}")
            if number % 3 == 0:
                to_housing(city, event)

    user = getattr(city, reader)
    client.force_login(user)
    report(5)
    client.get(LIST)  # sessions, permissions and the like warmed up
    with django_assert_max_num_queries(20) as five:
        assert client.get(LIST).status_code == 200
    report(35)
    with django_assert_max_num_queries(len(five.captured_queries)) as forty:
        response = client.get(LIST)
    shown = len(rows(response))
    assert shown >= 14  # the housing staff see only what was transferred to them
    assert len(forty.captured_queries) == len(five.captured_queries)


def test_a_departments_count_comes_from_the_steps_and_equals_its_list(city, client):
    """A department's staff see the events passed to it; their list's count is read from the
    steps table and says what the list holds, filtered or not, an event passed twice once."""
    from events.selectors import events_visible, events_visible_count
    from events.services import event_return

    twice = city.report()
    to_housing(city, twice)
    event_return(actor=city.housing_staff, event=twice, reason="不归我局")
    event_transfer(actor=city.street_official, event=twice, department=city.housing)
    once = city.report()
    to_housing(city, once)
    event_accept(actor=city.housing_staff, event=once)
    city.report()  # never passed to housing

    assert (
        events_visible_count(city.housing_staff) == 2 == events_visible(city.housing_staff).count()
    )
    client.force_login(city.housing_staff)
    page = client.get(LIST)
    assert page.context["cl"].result_count == 2
    assert sorted(rows(page)) == sorted([str(twice.pk), str(once.pk)])
    filtered = client.get(LIST, {"light__exact": "yellow"})
    assert filtered.context["cl"].result_count == 1
    assert rows(filtered) == [str(once.pk)]
    # Those who see more than what was passed to them are counted as the list.
    assert events_visible_count(city.community_staff) is None
    assert events_visible_count(city.municipal) is None
