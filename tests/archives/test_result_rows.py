"""Every admin list's rows come from ``archives.admin.result_rows``: the same HTML as Django's
own ``items_for_result``, cell for cell, for every list of the admin site, as the administrator
and as people of each role see them (their columns and links differ)."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.test import RequestFactory
from django.utils import translation

from archives.admin.result_rows import django_results, fast_results
from tests.scoped_city import build_city, build_events

pytestmark = pytest.mark.django_db


def changelists(user):
    factory = RequestFactory()
    for model, model_admin in admin.site._registry.items():
        request = factory.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        request.user = user
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = model_admin.get_changelist_instance(request)
        changelist.formset = None
        yield model, changelist


@pytest.mark.parametrize("username", [None, "community", "street", "department", "official"])
def test_every_list_renders_the_same_rows_as_django(admin_user, username):
    city = build_city()
    build_events(city)
    user = admin_user if username is None else city.users[username]
    compared = 0
    for model, changelist in changelists(user):
        ours = [[str(cell) for cell in row] for row in fast_results(changelist)]
        djangos = [[str(cell) for cell in row] for row in django_results(changelist)]
        assert ours == djangos, model
        compared += len(ours)
    assert compared > 10  # the city's rows were there to compare


def test_lists_it_does_not_cover_get_djangos_rows(admin_user):
    """An editable list (a formset) or a popup is left to Django."""
    build_city()
    for _model, changelist in changelists(admin_user):
        changelist.is_popup = True
        assert [list(map(str, r)) for r in fast_results(changelist)] == [
            list(map(str, r)) for r in results(changelist)
        ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_row_checkbox_is_djangos_own_markup(admin_user, language):
    """The scoped lists write the action checkbox out instead of rendering Django's widget."""
    city = build_city()
    with translation.override(language):
        compared = 0
        for model, changelist in changelists(admin_user):
            model_admin = changelist.model_admin
            if type(model_admin).action_checkbox is admin.ModelAdmin.action_checkbox:
                continue
            for row in changelist.result_list[:3]:
                assert model_admin.action_checkbox(row) == admin.ModelAdmin.action_checkbox(
                    model_admin, row
                ), model
                compared += 1
    assert compared > 10, city
