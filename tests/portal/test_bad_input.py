"""Requests that must change nothing: a forged CSRF token, an oversized body."""

import pytest
from django.test import Client

from archives.models import Resident

pytestmark = pytest.mark.django_db


def change_url(resident) -> str:
    return f"/admin/archives/resident/{resident.pk}/change/"


def test_a_forged_csrf_token_is_refused_with_a_page_that_says_what_to_do(admin_user, two_grids):
    resident = two_grids["resident"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    client.get(change_url(resident))  # sets the CSRF cookie
    response = client.post(
        change_url(resident), {"name": "forged", "csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "reload the page" in page
    assert Resident.objects.get(pk=resident.pk).name == resident.name


def test_an_oversized_form_is_refused_before_it_is_read(admin_client, two_grids, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    resident = two_grids["resident"]
    admin_client.cookies["django_language"] = "en"
    response = admin_client.post(
        change_url(resident), {"name": "oversized", "medical_history": "x" * 20_000}
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert Resident.objects.get(pk=resident.pk).name == resident.name
