"""The visit admin, and its form as a grid member fills it at the door, on a phone: it opens
at the present moment, "use my location" fills the coordinates from the phone's position, and
it asks whom they met, what they found and whether it needs following up."""

import datetime as dt

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.names import person_name
from archives import scope, services
from archives.admin.base import ScopedArchiveAdmin, actor_of
from archives.admin.exports import ArchiveExportMixin
from archives.admin.filters import org_filters
from archives.admin.forms import ChangeReasonForm
from archives.admin.widgets import LocationButtonInput, location_widgets
from archives.models import Grid, Visit
from archives.resources import VisitResource


class VisitForm(ChangeReasonForm):
    class Meta:
        widgets = location_widgets()


def visit_initial_time(now: dt.datetime | None = None) -> dt.datetime:
    """Now in the portal's time zone, to the minute: what a grid member logging a visit at the
    door would type, and what the form's time field shows (no seconds)."""
    return timezone.localtime(now).replace(second=0, microsecond=0)


#: The order of the visit form: where and when, what happened, then the optional rest.
VISIT_FIELDS = (
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
)


@admin.register(Visit)
class VisitAdmin(ArchiveExportMixin, ScopedArchiveAdmin):
    resource_classes = [VisitResource]
    form = VisitForm
    fields = VISIT_FIELDS
    list_display = [
        "visited_at",
        "household",
        "visitor",
        "met",
        "findings",
        "needs_follow_up",
        "note",
    ]
    list_filter = ["needs_follow_up", "met", *org_filters("grid")]
    list_select_related = ["household__building", "grid_member"]
    search_fields = ["household__building__address", "note"]
    autocomplete_fields = ["household"]
    # No date_hierarchy: its year/month links scan every visit for DISTINCT DATE_TRUNC (0.7 s at
    # 850,000 visits); the newest visits come first through the (visited_at, id) index.

    @admin.display(description=_("grid member"), ordering="grid_member")
    def visitor(self, visit):
        return person_name(visit.grid_member)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid_member":
            # The members of the grids the user may log visits in: a handful of people.
            members = get_user_model().objects.filter(
                grids__in=scope.writable(Grid.objects.all(), request.user, for_model=Visit)
            )
            kwargs["queryset"] = members.distinct().order_by("username")
            kwargs.setdefault("initial", request.user.pk)
            formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
            formfield.label_from_instance = person_name
            return formfield
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        widget = form.base_fields["latitude"].widget if "latitude" in form.base_fields else None
        if isinstance(widget, LocationButtonInput):
            # A new visit is logged at the door: its position is where the phone is now. An
            # existing visit's is where it was then, so its form never asks.
            widget.auto_locate = obj is None
        return form

    def get_changeform_initial_data(self, request):
        # A visit is logged at the door or just after: the form opens at the present minute.
        return {"visited_at": visit_initial_time(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        services.visit_save(visit=obj, actor=actor_of(request), reason=self.change_reason(form))
