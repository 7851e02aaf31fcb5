"""The events list and the report form.

The list shows the events the reader sees (``events.selectors.events_visible``) in chain order:
open events first, the most urgent limit first, closed ones last, newest closed first. Each row
has its light, who holds it now and how long it is overdue.

The add page is the report form (``events.admin.report_form``), for those who may report in a
grid; its building and household choices come from ``places/?grid=<id>``, which answers only for
a grid one may report in. An event's own page (and its steps) is ``EventPageMixin``'s. Events are
never deleted."""

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from archives.admin.base import DeclaredLookupsOnly, actor_of
from archives.admin.paging import EstimatingPaginator
from events.admin.event_page import EventPageMixin
from events.admin.report_form import EventReportForm, grid_places, report_grids
from events.display import light_badge, light_title, overdue_text
from events.models import Event, Level
from events.selectors import (
    REPORT_PERMISSION,
    event_overdue_hours,
    events_visible,
    events_visible_count,
    overdue_condition,
)


def short_time(moment: dt.datetime | None) -> str:
    """``2026-12-01 12:55`` in the portal's time zone: the list's columns stay narrow. Where the
    list is short of room the time goes under the date, never the date apart (events.css)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return format_html(
        '<span class="event-date">{}</span> {}', f"{local:%Y-%m-%d}", f"{local:%H:%M}"
    )


class EventChangeList(ChangeList):
    """The events list, counted from the steps table when nothing narrows what the reader
    sees and the selector can say it that way (``events_visible_count``: a department's
    staff), instead of counting the list itself."""

    def get_results(self, request: HttpRequest) -> None:
        if not self.has_active_filters and not self.query:
            request.events_count = events_visible_count(request.user)  # type: ignore[attr-defined]
        super().get_results(request)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("overdue")), ("no", gettext("in time"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(overdue_condition())
        if self.value() == "no":
            return queryset.exclude(overdue_condition())
        return queryset


@admin.register(Event)
class EventAdmin(EventPageMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    change_list_template = "admin/events/event/change_list.html"
    list_display = [
        "number",
        "light_column",
        "overdue",
        "category",
        "grid_name",
        "holder",
        "reported",
        "due",
    ]
    list_display_links = ["number"]
    list_filter = ["light", OverdueFilter, "category", "level", "urgency"]
    # Two joins only: the community, street and department names come by three small lookups
    # (get_queryset). With all five joined, PostgreSQL spent 25–40 ms planning the page's query
    # (a department's: 40 ms planning for 15 ms of work) at 100,000 events.
    list_select_related = ["category", "grid"]
    search_fields = ["description"]
    # Chain order: open first (no closing time), the most urgent limit first; then the closed,
    # newest first. The index ``event_chain_order`` has the same order.
    # (Django's admin takes expressions; its type stubs name strings only.)
    ordering = [F("closed_at").desc(nulls_first=True), "stage_due_at", "-id"]  # type: ignore[list-item]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatingPaginator
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        queryset = (
            super().get_queryset(request).prefetch_related("community", "street", "department")
        )
        return events_visible(request.user, queryset)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return EventChangeList

    def get_paginator(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Paginator:
        paginator = super().get_paginator(request, *args, **kwargs)
        known = getattr(request, "events_count", None)
        if known is not None:
            paginator.__dict__["count"] = known  # Paginator.count is a cached property
        return paginator

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # events are never deleted: the figures count them

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # The list's columns ----------------------------------------------------------------------

    @admin.display(description=_("number"), ordering="id")
    def number(self, event: Event) -> str:
        return f"#{event.pk}"

    @admin.display(description=_("light"), ordering="light")
    def light_column(self, event: Event) -> SafeString:
        return light_badge(event.light, light_title(event.light))

    @admin.display(description=_("grid"), ordering="grid__name")
    def grid_name(self, event: Event) -> str:
        return event.grid.name

    @admin.display(description=_("held by"), ordering="level")
    def holder(self, event: Event) -> str:
        if event.level == Level.DEPARTMENT and event.department is not None:
            return event.department.name
        if event.level == Level.STREET:
            return event.street.name
        return event.community.name

    @admin.display(description=_("reported at"), ordering="reported_at")
    def reported(self, event: Event) -> str:
        return short_time(event.reported_at)

    @admin.display(description=_("stage due at"), ordering="stage_due_at")
    def due(self, event: Event) -> str:
        return short_time(event.stage_due_at)

    @admin.display(description=_("overdue by"), ordering="stage_due_at")
    def overdue(self, event: Event) -> str:
        return overdue_text(event_overdue_hours(event))

    # The report form -------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.has_perm(REPORT_PERMISSION) and report_grids(user).exists())

    def get_urls(self) -> list[URLPattern]:
        places = path(
            "places/",
            self.admin_site.admin_view(self.places_view),
            name="events_event_places",
        )
        return [places, *super().get_urls()]

    def places_view(self, request: HttpRequest) -> JsonResponse:
        """The buildings and households of ``?grid=<id>`` for the report form; 403 for a grid
        one may not report in."""
        places = None
        if self.has_add_permission(request):
            places = grid_places(request.user, request.GET.get("grid", ""))
        if places is None:
            return JsonResponse({"buildings": [], "households": []}, status=403)
        return JsonResponse(places)

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        user = request.user
        if request.method == "POST":
            form = EventReportForm(user, request.POST, request.FILES)
            if form.is_valid():
                try:
                    event = form.save(actor_of(request))
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request,
                        gettext("Event %(event)s reported: it waits for the community.")
                        % {"event": event},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:events_event_change", args=[event.pk])
                    )
        else:
            form = EventReportForm(user)
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": gettext("Report an event"),
            "opts": self.opts,
            "form": form,
            "places_url": reverse("admin:events_event_places"),
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/events/event/report_form.html", context)
