"""The events list and the report form (placeholder: being built).

Until the report form exists, the admin offers no add or change form of its own: Django's
default one would list every grid, household and department, whatever the reader's scope.
Events are reported through ``events.services.event_report``."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from events.admin.event_page import EventPageMixin
from events.models import Event
from events.selectors import events_visible


@admin.register(Event)
class EventAdmin(EventPageMixin, admin.ModelAdmin):
    list_display = ["__str__", "light", "level", "stage_due_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return events_visible(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
