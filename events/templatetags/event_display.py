"""Template filters for an event's light and lateness (``events.display``)."""

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from events import display
from events.models import Event

register = template.Library()


@register.filter
def overdue_by(event: Event, now: dt.datetime | None = None) -> str:
    """``{{ event|overdue_by:now }}``: ``超时 5 小时``, or nothing while the event is in time."""
    return display.overdue_by(event, now)


@register.filter
def light_badge(event: Event) -> SafeString:
    """``{{ event|light_badge }}``: the light's dot and its name, as on the list."""
    return display.light_badge(event.light, display.light_title(event.light))
