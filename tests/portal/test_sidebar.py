import pytest
from django.test import RequestFactory

from portal.sites import TASK_GROUPS

pytestmark = pytest.mark.django_db


def app_list(user):
    from django.contrib import admin

    request = RequestFactory().get("/admin/")
    request.user = user
    return admin.site.get_app_list(request)


def test_the_index_groups_pages_by_task_for_an_administrator(admin_user):
    groups = app_list(admin_user)
    assert [g["app_label"] for g in groups] == [slug for _label, slug, _models in TASK_GROUPS]
    residents = groups[0]
    assert [m["object_name"] for m in residents["models"]] == ["Resident", "Household", "Building"]
    assert residents["app_url"] == "/admin/archives/resident/"


def test_a_clerk_sees_only_the_groups_of_their_work(two_grids):
    labels = [g["app_label"] for g in app_list(two_grids["clerk"])]
    assert "residents" in labels and "visits" in labels
    assert "access" not in labels and "reports" not in labels


def test_the_sidebar_shows_the_groups_in_chinese(admin_client):
    page = admin_client.get("/admin/archives/resident/").content.decode()
    for heading in ("居民", "走访", "抽查", "报表", "组织", "账号与权限"):
        assert heading in page


def test_an_apps_own_page_still_lists_that_app(admin_client):
    page = admin_client.get("/admin/archives/").content.decode()
    assert "/admin/archives/street/" in page
    assert "/admin/audits/auditcampaign/" not in page
