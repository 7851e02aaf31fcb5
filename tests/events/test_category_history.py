"""A category's departments in charge are part of its history: who changed them, when and why,
and what they were before, whether changed on the page or by the service."""

import importlib

import pytest
from django.urls import reverse

from events.models import EventCategory
from events.services import event_category_save
from tests import factories


@pytest.fixture
def admin_user(db):
    return factories.make_user("keeper", superuser=True)


def departments_post(city, departments, reason: str) -> dict:
    return {
        "code": city.category.code,
        "name": city.category.name,
        "departments": [str(d.pk) for d in departments],
        "active": "on",
        "change_reason": reason,
        "time_limits-TOTAL_FORMS": "0",
        "time_limits-INITIAL_FORMS": "0",
        "time_limits-MIN_NUM_FORMS": "0",
        "time_limits-MAX_NUM_FORMS": "1000",
    }


def test_departments_changed_on_the_page_are_in_the_history_with_who_and_why(
    city, client, admin_user
):
    client.force_login(admin_user)
    url = reverse("admin:events_eventcategory_change", args=[city.category.pk])
    before = city.category.history.count()
    data = departments_post(city, [city.housing, city.health], "卫健局也管")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]

    assert set(city.category.departments.all()) == {city.housing, city.health}
    # One entry for the save and its departments, not one per department added.
    assert city.category.history.count() == before + 1
    entry = city.category.history.latest()
    assert (entry.history_user, entry.history_change_reason) == (admin_user, "卫健局也管")
    assert {row.department_id for row in entry.departments.all()} == {
        city.housing.pk,
        city.health.pk,
    }

    page = client.get(reverse("admin:events_eventcategory_history", args=[city.category.pk]))
    text = page.content.decode()
    assert "卫健局也管" in text
    assert "keeper" in text
    assert "+卫健局" in text


def test_the_service_records_departments_removed_with_the_actor_and_reason(city, admin_user):
    event_category_save(
        actor=admin_user,
        category=city.category,
        reason="交卫健局",
        departments=[city.health],
    )
    entry = EventCategory.history.filter(id=city.category.pk).latest()
    assert (entry.history_user, entry.history_change_reason) == (admin_user, "交卫健局")
    assert [row.department_id for row in entry.departments.all()] == [city.health.pk]
    assert list(city.category.departments.all()) == [city.health]


def test_the_history_page_shows_the_departments_before_and_after(city, client, admin_user):
    event_category_save(
        actor=admin_user, category=city.category, reason="改派", departments=[city.health]
    )
    client.force_login(admin_user)
    page = client.get(reverse("admin:events_eventcategory_history", args=[city.category.pk]))
    entries = page.context["entries"]
    assert entries[0].why == "改派"
    changes = {(c.label, c.old, c.new) for c in entries[0].changes}
    assert changes == {("责任部门", "−住建局", "+卫健局")}


def test_a_save_without_departments_leaves_them_as_they_are(city, admin_user):
    event_category_save(actor=admin_user, category=city.category, reason="改名")
    assert list(city.category.departments.all()) == [city.housing]


def test_the_migration_records_the_departments_categories_already_have(city, admin_user):
    """Migration 0005 runs on databases whose categories have departments already: each
    category's newest history entry gets them, with the through rows' ids (a missing id once
    stopped the migration on PostgreSQL)."""
    from django.apps import apps

    migration = importlib.import_module("events.migrations.0005_category_departments_history")
    category = city.category
    category.departments.set([city.housing, city.health])
    newest = category.history.order_by("-history_date", "-history_id").first()
    newest.departments.all().delete()  # as before the migration: no departments recorded

    migration.departments_recorded(apps, None)

    recorded = category.history.order_by("-history_date", "-history_id").first().departments
    links = category.departments.through.objects.filter(eventcategory=category)
    assert sorted(r.department_id for r in recorded.all()) == sorted(
        [city.housing.pk, city.health.pk]
    )
    assert sorted(r.id for r in recorded.all()) == sorted(link.pk for link in links)
