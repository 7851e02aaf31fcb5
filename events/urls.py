"""Endpoints of events outside the admin's model pages: the photos, behind the admin's login."""

from django.contrib import admin
from django.urls import path

from events.photo_view import event_photo

app_name = "events"
urlpatterns = [
    # The admin's login (and its checks) in front; cacheable: the view says how (privately).
    path("photos/<int:pk>/", admin.site.admin_view(event_photo, cacheable=True), name="photo"),
]
