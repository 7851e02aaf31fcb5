"""How an event's light and lateness read, the same on every page: the list, the event's page,
the dashboard and the long-open page (through ``events/templatetags/event_display.py``)."""

import datetime as dt

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy

from events.models import Event, Light
from events.selectors import event_overdue_hours

_LIGHT_NAMES = {
    Light.RED: pgettext_lazy("light", "red"),
    Light.YELLOW: pgettext_lazy("light", "yellow"),
    Light.BLUE: pgettext_lazy("light", "blue"),
    Light.GREEN: pgettext_lazy("light", "green"),
}


def light_name(light: str) -> str:
    """The light's one-word name (红灯 …), translated once (a list shows it 50 times)."""
    name = _LIGHT_NAMES.get(light)  # type: ignore[call-overload]
    return light if name is None else str(name)


def light_title(light: str) -> str:
    """What the light means (``red: waiting to be accepted``), as ``get_light_display`` says it
    without going through the field's choices each time."""
    return str(Light(light).label)


def overdue_text(hours: int | None) -> str:
    """``超时 5 小时``, ``超时 2 天 3 小时``; empty when not overdue."""
    if hours is None:
        return ""
    if hours < 24:
        return gettext("%(hours)d h over") % {"hours": hours}
    return gettext("%(days)d d %(hours)d h over") % {"days": hours // 24, "hours": hours % 24}


def light_badge(light: str, title: str = "") -> SafeString:
    return format_html(
        '<span class="event-light event-light-{}" title="{}">'
        '<span class="event-light-dot" aria-hidden="true"></span>{}</span>',
        light,
        title,
        light_name(light),
    )


def overdue_by(event: Event, now: dt.datetime | None = None) -> str:
    """``超时 2 天 3 小时`` for an open event past its stage's limit; empty otherwise."""
    return overdue_text(event_overdue_hours(event, now))
