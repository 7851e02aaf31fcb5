"""Widgets more than one admin page uses."""

from django.contrib.admin.widgets import AdminTextInputWidget
from django.utils.translation import gettext_lazy as _


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


def location_widgets() -> dict:
    """A form's widgets for its ``latitude`` and ``longitude`` fields: the button fills both
    from the phone, and a phone's keyboard shows digits for either."""
    return {
        "latitude": LocationButtonInput(),
        "longitude": AdminTextInputWidget(attrs={"inputmode": "decimal"}),
    }
