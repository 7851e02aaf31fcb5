"""The visit form as a grid member fills it at the door, on a phone: it opens at the present
moment, "use my location" fills the coordinates from the phone's position, and it asks whom
they met, what they found and whether it needs following up."""

import datetime as dt

from django.contrib.admin.widgets import AdminTextInputWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archives.admin.forms import ChangeReasonForm


class LocationButtonInput(AdminTextInputWidget):
    """The latitude input with a "use my location" button beside it. The button stays hidden
    until ``visit_location.js`` finds the browser's Geolocation API (a page without it, or with
    scripts off, keeps the typed fields). Its messages come from here, in the user's language,
    so the script holds no text."""

    template_name = "admin/archives/widgets/location_button_input.html"

    def __init__(self, longitude_id: str = "id_longitude", attrs=None):
        super().__init__(attrs={"inputmode": "decimal", **(attrs or {})})
        self.longitude_id = longitude_id

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["location"] = {
            "longitude_id": self.longitude_id,
            "label": _("Use my location"),
            "locating": _("Finding your position…"),
            "located": _("Position filled in (within %(metres)s m)."),
            "failed": _("No position: %(why)s Type the coordinates instead, or leave them out."),
            "denied": _("the browser was not allowed to share the position."),
            "unavailable": _("the phone could not find its position."),
        }
        return context

    class Media:
        js = ["archives/visit_location.js"]


class VisitForm(ChangeReasonForm):
    class Meta:
        widgets = {
            "latitude": LocationButtonInput(),
            "longitude": AdminTextInputWidget(attrs={"inputmode": "decimal"}),
        }


def visit_initial_time(now: dt.datetime | None = None) -> dt.datetime:
    """Now in the portal's time zone, to the minute: what a grid member logging a visit at the
    door would type, and what the form's time field shows (no seconds)."""
    return timezone.localtime(now).replace(second=0, microsecond=0)


#: The order of the visit form: where and when, what happened, then the optional rest.
VISIT_FIELDS = [
    "household",
    "grid_member",
    "visited_at",
    "met",
    "findings",
    "needs_follow_up",
    "latitude",
    "longitude",
    "note",
    "change_reason",
]
