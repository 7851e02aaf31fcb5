"""Visits checked against the track (轨迹核验): the visit list and the household page show, for
each visit, ✓ (the member's points passed the household's building then), ✗ (they had a round
then and did not pass it) or — (no round then, or the building has no position).

The pattern, for any page of a lower app that a higher app adds to: archives' pages may not
import patrols (the layers, tests/portal/test_import_graph.py), so this module **unregisters
archives' admin and registers a subclass** that adds the column, the filter or the context,
and touches nothing else. Everything the archive page does (scope, export, its form) stays
archives' own and follows it when it changes. The household page's template offers a block
per visit (``household_visit``) that the subclass's template fills.

The check is ``patrols.selectors.track_check_expression``: one annotation, computed for the
page's rows by one query whatever the number of rows. Not on the list's own query: its joins
(household, building) would stay in the list's count, which at a million residents made a
street official's visit count walk every visit's household (57 ms instead of 5).
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from archives.admin.households import HouseholdAdmin
from archives.admin.visits import VisitAdmin
from archives.models import Household, Visit
from patrols.selectors import TrackCheck, track_check_expression, visits_with_track_check

#: What each check looks like: a mark and its class (patrols/static/patrols/patrols.css).
MARKS = {
    TrackCheck.ON.value: ("✓", "track-check-on"),
    TrackCheck.OFF.value: ("✗", "track-check-off"),
    TrackCheck.UNCHECKED.value: ("—", "track-check-none"),
}


def track_check_mark(check: str | None) -> str:
    mark, css = MARKS.get(check or TrackCheck.UNCHECKED.value, MARKS[TrackCheck.UNCHECKED.value])
    label = TrackCheck(check).label if check in TrackCheck.values else TrackCheck.UNCHECKED.label
    return format_html('<span class="{}" title="{}">{}</span>', css, label, mark)


class TrackCheckFilter(admin.SimpleListFilter):
    """The visits on-track, off-track or unchecked: a filter on the same annotation."""

    title = _("track check")
    parameter_name = "track_check"

    def lookups(self, request, model_admin):
        return TrackCheck.choices

    def queryset(self, request, queryset: QuerySet[Visit]) -> QuerySet[Visit]:
        if self.value() in TrackCheck.values:
            return queryset.alias(track_state=track_check_expression()).filter(
                track_state=self.value()
            )
        return queryset


class TrackCheckedChangeList(ChangeList):
    """The page's visits, each with ``track_check``, read for them alone once they are known."""

    def get_results(self, request):
        super().get_results(request)
        shown = {visit.pk: visit for visit in self.result_list}
        if shown:
            checks = visits_with_track_check(Visit.objects.filter(pk__in=list(shown)))
            for pk, check in checks.values_list("pk", "track_check"):
                shown[pk].track_check = check


admin.site.unregister(Visit)


@admin.register(Visit)
class VisitWithTrackCheckAdmin(VisitAdmin):
    """archives' visit admin with the 轨迹核验 column and filter."""

    list_filter = [*VisitAdmin.list_filter, TrackCheckFilter]

    class Media:
        css = {"all": ["patrols/patrols.css"]}

    def get_changelist(self, request, **kwargs):
        return TrackCheckedChangeList

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns[:3], "track_check", *columns[3:]]

    @admin.display(description=_("track check"))
    def track_check(self, visit: Visit) -> str:
        return track_check_mark(getattr(visit, "track_check", None))


admin.site.unregister(Household)


@admin.register(Household)
class HouseholdWithTrackCheckAdmin(HouseholdAdmin):
    """archives' household admin whose page marks each of its latest visits ✓ / ✗ / —."""

    change_form_template = "admin/patrols/household/change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        register = context.get("register")
        if register is not None and register.visits:
            shown = {visit.pk: visit for visit in register.visits}
            checks = visits_with_track_check(Visit.objects.filter(pk__in=list(shown)))
            for pk, check in checks.values_list("pk", "track_check"):
                # Read by the page's template beside each visit.
                shown[pk].track_check_mark = track_check_mark(check)
        return response
