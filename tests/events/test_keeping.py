"""What administrators keep: categories with their time limits, and the work calendar."""

import datetime as dt

import pytest
from django.urls import reverse

from events.models import EventCategory, EventTimeLimit, WorkCalendarDay
from events.services import work_calendar_day_save
from tests import factories

CATEGORIES = reverse("admin:events_eventcategory_changelist")
ADD_CATEGORY = reverse("admin:events_eventcategory_add")
CALENDAR = reverse("admin:events_workcalendarday_changelist")
FILL = reverse("admin:events_workcalendarday_fill")


@pytest.fixture
def admin_user(db):
    return factories.make_user("keeper", superuser=True)


def category_post(city, *, limits: list[dict], existing: int = 0, **fields) -> dict:
    data = {
        "code": "manhole",
        "name": "井盖缺失",
        "departments": [str(city.housing.pk)],
        "active": "on",
        "change_reason": "新增类别",
        "time_limits-TOTAL_FORMS": str(len(limits)),
        "time_limits-INITIAL_FORMS": str(existing),
        "time_limits-MIN_NUM_FORMS": "0",
        "time_limits-MAX_NUM_FORMS": "1000",
    }
    for number, limit in enumerate(limits):
        for key, value in limit.items():
            data[f"time_limits-{number}-{key}"] = value
    data.update(fields)
    return data


def test_a_category_is_added_with_its_time_limits_and_history(city, client, admin_user):
    client.force_login(admin_user)
    limits = [
        {"urgency": "normal", "stage": "accept", "working_hours": "2"},
        {"urgency": "critical", "stage": "handle", "working_hours": "3"},
    ]
    response = client.post(ADD_CATEGORY, category_post(city, limits=limits))
    assert response.status_code == 302, response.context["errors"]
    category = EventCategory.objects.get(code="manhole")
    assert list(category.departments.all()) == [city.housing]
    rows = category.time_limits.order_by("urgency", "stage")
    assert [(r.urgency, r.stage, r.working_hours) for r in rows] == [
        ("critical", "handle", 3),
        ("normal", "accept", 2),
    ]
    entry = category.history.get()
    assert (entry.history_user, entry.history_change_reason) == (admin_user, "新增类别")
    limit_entry = EventTimeLimit.history.filter(urgency="normal").get()
    assert limit_entry.history_user == admin_user


def test_a_time_limit_removed_on_the_page_goes_through_the_service(city, client, admin_user):
    limit = EventTimeLimit.objects.create(
        category=city.category, urgency="normal", stage="accept", working_hours=4
    )
    client.force_login(admin_user)
    url = reverse("admin:events_eventcategory_change", args=[city.category.pk])
    limits = [
        {
            "id": str(limit.pk),
            "category": str(city.category.pk),
            "urgency": "normal",
            "stage": "accept",
            "working_hours": "4",
            "DELETE": "on",
        }
    ]
    data = category_post(city, limits=limits, existing=1, code="rubbish", name="建筑垃圾")
    response = client.post(url, data)
    assert response.status_code == 302
    assert not EventTimeLimit.objects.exists()
    removed = EventTimeLimit.history.filter(history_type="-").get()
    assert (removed.history_user, removed.history_change_reason) == (admin_user, "新增类别")


def test_two_limits_for_one_stage_or_zero_hours_are_refused(city, client, admin_user):
    client.force_login(admin_user)
    same = {"urgency": "normal", "stage": "accept", "working_hours": "2"}
    response = client.post(ADD_CATEGORY, category_post(city, limits=[same, dict(same)]))
    assert response.status_code == 200
    zero = {"urgency": "normal", "stage": "accept", "working_hours": "0"}
    response = client.post(ADD_CATEGORY, category_post(city, limits=[zero]))
    assert response.status_code == 200
    assert not EventCategory.objects.filter(code="manhole").exists()


def test_categories_are_never_deleted(city, client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:events_eventcategory_delete", args=[city.category.pk])
    client.post(url, {"post": "yes"})
    assert EventCategory.objects.filter(pk=city.category.pk).exists()


@pytest.mark.parametrize("reader", ["member", "community_staff", "street_official", "municipal"])
def test_roles_do_not_keep_categories_or_the_calendar(city, client, reader):
    client.force_login(getattr(city, reader))
    for url in (CATEGORIES, ADD_CATEGORY, CALENDAR):
        assert client.get(url).status_code == 403
    assert client.post(FILL).status_code == 403
    assert not WorkCalendarDay.objects.exists()


def test_the_calendar_warns_of_missing_years_and_fills_them(
    client, admin_user, monkeypatch, settings
):
    from events.admin import keeping

    monkeypatch.setattr(keeping.WorkCalendarDayAdmin, "years_to_check", lambda self: [2026, 2027])
    client.force_login(admin_user)
    content = client.get(CALENDAR).content.decode()
    assert "2026, 2027" in content and "calendar-missing" in content
    assert client.get(FILL).status_code == 405  # a button posts; a link does nothing
    response = client.post(FILL, follow=True)
    national_day = WorkCalendarDay.objects.get(date=dt.date(2026, 10, 1))
    assert (national_day.is_workday, national_day.name) == (False, "国庆节")
    assert not WorkCalendarDay.objects.filter(date__year=2027).exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any("2026" in m and "从节假日库导入" in m for m in messages)
    assert any("2027" in m and "手工录入" in m for m in messages)
    content = response.content.decode()
    assert "2027" in content and "calendar-missing" in content  # 2027 is still missing


def test_the_fill_keeps_days_entered_by_hand(client, admin_user, monkeypatch):
    from events.admin import keeping

    monkeypatch.setattr(keeping.WorkCalendarDayAdmin, "years_to_check", lambda self: [2026])
    work_calendar_day_save(
        actor=admin_user,
        day=WorkCalendarDay(date=dt.date(2026, 10, 1), is_workday=False, name="手工"),
    )
    client.force_login(admin_user)
    client.post(FILL)
    assert WorkCalendarDay.objects.get(date=dt.date(2026, 10, 1)).name == "手工"
    assert WorkCalendarDay.objects.filter(date__year=2026).count() > 10


def test_a_calendar_day_is_saved_and_deleted_with_history(client, admin_user):
    client.force_login(admin_user)
    add = reverse("admin:events_workcalendarday_add")
    data = {"date": "2027-01-01", "is_workday": "", "name": "元旦", "change_reason": "国务院通知"}
    assert client.post(add, data).status_code == 302
    day = WorkCalendarDay.objects.get(date=dt.date(2027, 1, 1))
    assert day.history.get().history_change_reason == "国务院通知"
    assert "元旦" in client.get(CALENDAR, {"year": "2027"}).content.decode()
    assert "元旦" not in client.get(CALENDAR, {"year": "2026"}).content.decode()
    client.post(reverse("admin:events_workcalendarday_delete", args=[day.pk]), {"post": "yes"})
    assert not WorkCalendarDay.objects.exists()
    assert WorkCalendarDay.history.filter(history_type="-").get().history_user == admin_user
