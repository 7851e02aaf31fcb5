"""The events list and the report form (placeholder: being built)."""

from django.contrib import admin

from events.admin.event_page import EventPageMixin
from events.models import Event


@admin.register(Event)
class EventAdmin(EventPageMixin, admin.ModelAdmin):
    pass
