"""Django's admin defaults as a Chinese reader expects them: list titles are the list's name
("居民", not "选择 居民 来修改"), filters read "按户籍状态" (not "以 户籍状态"), and the
filter_horizontal widget's texts (Django's JavaScript catalog) are in Chinese."""

import json
import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_list_is_titled_by_its_name(admin_client, two_grids):
    page = admin_client.get(reverse("admin:archives_resident_changelist")).content.decode()
    assert re.search(r"<h1>\s*居民\s*</h1>", page)
    assert "<title>居民 |" in page
    assert "选择" not in re.search(r"<h1>.*?</h1>", page, re.S)[0]
    assert "按户籍状态" in page and "以 户籍状态" not in page
    assert "添加居民" in page  # the object tool, without Django's "增加 居民"


def test_a_read_only_list_is_titled_by_its_name_too(client, two_grids):
    client.force_login(factories.make_user("official", role="municipal official"))
    page = client.get(reverse("admin:archives_resident_changelist")).content.decode()
    assert re.search(r"<h1>\s*居民\s*</h1>", page)


def test_the_forms_titles_read_add_and_change_without_a_gap(admin_client, two_grids):
    resident = two_grids["resident"]
    add = admin_client.get(reverse("admin:archives_visit_add")).content.decode()
    change = admin_client.get(
        reverse("admin:archives_resident_change", args=[resident.pk])
    ).content.decode()
    assert "<h1>添加走访</h1>" in add
    assert "| 修改居民 |" in change


def test_the_street_pickers_texts_come_in_chinese(admin_client):
    script = admin_client.get(reverse("admin:jsi18n")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.S)[1])
    assert catalog["Choose all %s"] == "全选%s"
    assert catalog["Remove all %s"] == "全部移除%s"
    assert (
        "选中" in catalog['Choose %s by selecting them and then select the "Choose" arrow button.']
    )
    assert catalog["Available %s"]  # Django's own translations are still there


def test_english_keeps_djangos_wording(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = admin_client.get(reverse("admin:archives_resident_changelist")).content.decode()
    assert "Select resident to change" in page and "By residency status" in page
