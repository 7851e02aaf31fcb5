"""Endpoints outside the admin: where phones and tracking apps send positions."""

from django.urls import path  # noqa: F401

app_name = "patrols"
urlpatterns: list = []
