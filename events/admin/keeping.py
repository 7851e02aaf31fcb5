"""What administrators keep: event categories with their time limits, and the work calendar.

Every save goes through ``events.services``, which records who and why in the history. The
roles give these tables to nobody: administrators (superusers) keep them, and only those who
hold the model permissions see the pages."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin, actor_of
from events.models import EventCategory, EventTimeLimit, WorkCalendarDay
from events.selectors import work_calendar_years_missing
from events.services import (
    event_category_save,
    event_time_limit_delete,
    event_time_limit_save,
    work_calendar_day_delete,
    work_calendar_day_save,
    work_calendar_fill,
)


class EventTimeLimitInline(admin.TabularInline):
    model = EventTimeLimit
    fields = ["urgency", "stage", "working_hours"]
    extra = 0
    verbose_name = _("time limit (working hours)")
    verbose_name_plural = _(
        "time limits in working hours (a stage without one has the portal's default limit)"
    )


@admin.register(EventCategory)
class EventCategoryAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = ["code", "name", "department_names", "active"]
    list_filter = ["active"]
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["code", "name"]
    filter_horizontal = ["departments"]
    inlines = [EventTimeLimitInline]
    history_fields = ["code", "name", "departments", "active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EventCategory]:
        return super().get_queryset(request).prefetch_related("departments")

    @admin.display(description=_("departments in charge"))
    def department_names(self, category: EventCategory) -> str:
        return "、".join(d.name for d in category.departments.all()) or "—"

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # events keep their category: one no longer used is taken out of use

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        event_category_save(
            category=obj,
            actor=actor_of(request),
            reason=self.change_reason(form),
            departments=form.cleaned_data.get("departments"),
        )

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm,
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        # The departments were saved by event_category_save, in the category's history entry;
        # Django's form.save_m2m() would save them again, outside the service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        actor, reason = actor_of(request), self.change_reason(form)
        limits = formset.save(commit=False)
        for limit in formset.deleted_objects:
            event_time_limit_delete(actor=actor, limit=limit, reason=reason)
        for limit in limits:
            event_time_limit_save(actor=actor, limit=limit, reason=reason)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        this_year = timezone.localdate().year
        years = {day.year for day in WorkCalendarDay.objects.dates("date", "year")}
        years |= {this_year, this_year + 1}
        return [(str(year), str(year)) for year in sorted(years, reverse=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    change_list_template = "admin/events/workcalendarday/change_list.html"
    list_display = ["date", "weekday", "is_workday", "name"]
    list_filter = [YearFilter, "is_workday"]
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["name"]
    ordering = ["-date"]
    history_fields = ["date", "is_workday", "name"]

    @admin.display(description=_("weekday"))
    def weekday(self, day: WorkCalendarDay) -> str:
        return str(WEEKDAYS[day.date.weekday()])

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        work_calendar_day_save(day=obj, actor=actor_of(request), reason=self.change_reason(form))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        work_calendar_day_delete(day=obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = actor_of(request)
        for day in queryset:
            work_calendar_day_delete(day=day, actor=actor)

    def years_to_check(self) -> list[int]:
        this_year = timezone.localdate().year
        return [this_year, this_year + 1]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        extra["years_missing"] = work_calendar_years_missing(self.years_to_check())
        extra["may_fill"] = self.has_add_permission(request)
        return super().changelist_view(request, extra)

    def get_urls(self) -> list[URLPattern]:
        fill = path(
            "fill/",
            self.admin_site.admin_view(require_POST(self.fill_view)),
            name="events_workcalendarday_fill",
        )
        return [fill, *super().get_urls()]

    def fill_view(self, request: HttpRequest) -> HttpResponse:
        """Adds the holiday library's holidays and adjusted working days for this year and the
        next, keeping every date an administrator entered."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        added = work_calendar_fill(actor=actor_of(request), years=self.years_to_check())
        for year, count in added.items():
            if count is None:
                messages.warning(
                    request,
                    gettext(
                        "The holiday library does not know %(year)s yet: enter its holidays "
                        "and adjusted working days by hand, as the State Council publishes them."
                    )
                    % {"year": year},
                )
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(year)s: %(count)d day added from the holiday library.",
                        "%(year)s: %(count)d days added from the holiday library.",
                        count,
                    )
                    % {"year": year, "count": count},
                )
        return HttpResponseRedirect(reverse("admin:events_workcalendarday_changelist"))
