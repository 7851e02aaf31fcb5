import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_admin_speaks_chinese_by_default(admin_client, two_grids):
    page = admin_client.get("/admin/archives/resident/").content.decode()
    assert "居民" in page
    assert "社区网格治理平台" in page
    assert two_grids["resident"].name in page


def test_an_english_browser_still_gets_chinese_until_the_user_switches(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "社区网格治理平台" in page
    assert 'value="en"' in page  # the switch offers English


def test_a_user_can_switch_the_admin_to_english(admin_client):
    response = admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    page = admin_client.get("/admin/archives/resident/").content.decode()
    assert "Residents" in page
    assert "Community governance portal" in page
    assert 'value="zh-hans"' in page  # and back


# guardian's own columns on the grant tables; guardian's pages label them in its own words.
GUARDIAN_COLUMNS = {"user", "group", "permission"}


def archive_labels() -> list[str]:
    labels = []
    models = [m for app in ("archives", "events") for m in apps.get_app_config(app).get_models()]
    for model in models:
        if model.__name__.startswith("Historical"):
            continue  # simple-history's tables; the history pages use the models' own labels
        labels += [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
        for field in model._meta.get_fields():
            if field.name in GUARDIAN_COLUMNS and "ObjectPermission" in model.__name__:
                continue
            if hasattr(field, "verbose_name") and not field.auto_created:
                labels.append(str(field.verbose_name))
            labels += [str(label) for _value, label in getattr(field, "choices", None) or []]
    return labels


def test_every_archive_label_has_a_chinese_translation():
    with translation.override("en"):
        english = archive_labels()
    with translation.override("zh-hans"):
        chinese = archive_labels()
    untranslated = [en for en, zh in zip(english, chinese, strict=True) if en == zh]
    assert untranslated == []


def test_validation_messages_are_translated():
    resident = factories.make_resident()
    resident.phone = "123"
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            resident.full_clean()
        message = caught.value.message_dict["phone"][0]  # lazy: read it in the language
    assert "0433-3221234" in message
    assert "手机" in message


def test_figures_are_grouped_in_the_active_language():
    with translation.override("zh-hans"):
        assert intcomma(60000) == "60,000"  # as Chinese statistical tables write it
    with translation.override("en"):
        assert intcomma(1234567) == "1,234,567"


def test_dashboard_dates_follow_the_active_language(client, two_grids):
    resident = two_grids["resident"]
    resident.last_verified_at = timezone.make_aware(dt.datetime(2026, 3, 5, 12, 0))
    resident.save()
    client.force_login(two_grids["clerk"])
    assert "2026年3月5日" in client.get("/admin/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = client.get("/admin/").content.decode()
    assert "03/05/2026" in page and "due for verification" in page


def test_an_officials_cached_dashboard_chart_follows_the_language(admin_client, two_grids):
    with time_machine.travel(dt.datetime(2026, 7, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        chinese = admin_client.get("/admin/").content.decode()
        admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
        english = admin_client.get("/admin/").content.decode()
    assert "2026年7月" in chinese
    # The panel is cached per language: the English page draws its own month labels.
    assert "July 2026" in english and "2026年7月" not in english
