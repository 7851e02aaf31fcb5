"""List filters behind the dashboard's task lists: "all N" on the dashboard opens the resident
or household list with one of these, so the full list is the same question as the first rows
(``archives.selectors``) and its link is a filter the list declares."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from archives import selectors


class VerificationDueFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"
    DUE = "due"

    def lookups(self, request, model_admin):
        days = selectors.VERIFY_EVERY.days
        return [(self.DUE, _("not confirmed in %(days)d days") % {"days": days})]

    def queryset(self, request, queryset):
        if self.value() == self.DUE:
            return selectors.due_for_verification(queryset, timezone.now())
        return queryset


class VisitsDueFilter(admin.SimpleListFilter):
    title = _("visits this month")
    parameter_name = "visits"
    SHORT = "short"

    def lookups(self, request, model_admin):
        return [(self.SHORT, _("still to visit"))]

    def queryset(self, request, queryset):
        if self.value() == self.SHORT:
            return selectors.short_of_visits(queryset, timezone.localdate())
        return queryset

    @classmethod
    def active(cls, request) -> bool:
        return request.GET.get(cls.parameter_name) == cls.SHORT


def visits_reason(household) -> str:
    """Why a household is on the "still to visit" list: "独居老人 · 本月 1/2 次"."""
    return gettext("%(tag)s · %(made)s of %(needed)s visits this month") % {
        "tag": household.visits_tag,
        "made": household.visits_made,
        "needed": household.visits_needed,
    }
