"""An event's page: what, where, photos, the chain as it happened, and the steps the reader may
take now; each step a small form (``events.forms``) posting to ``<id>/step/<action>/``. And the
city's page of events red or yellow for too long (``long-open/``).

Nothing here decides who may do what: the page offers the steps ``events.selectors.
event_actions`` names, and each step's service asks the same rule and refuses (``PermissionDenied``
outside one's scope: 403; ``ValidationError`` out of turn or someone acted meanwhile: a message,
nothing changed).
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import person_name
from archives import scope
from archives.admin.base import ModelAdminMixinBase, actor_of
from events.forms import STEP_FORMS, StepForm
from events.models import Event, EventPhoto, EventStep, Level, Light
from events.selectors import (
    event_action_refusal,
    event_actions,
    event_steps,
    events_visible,
    is_overdue,
    long_open_by_department,
)

LONG_OPEN_MAX_DAYS = 365


def holder_text(event: Event) -> str:
    """Who holds the event now, in words (its department, street or community by name)."""
    if event.light == Light.GREEN:
        return _("nobody: closed")
    if event.light == Light.BLUE:
        return _("%(community)s, to evaluate") % {"community": event.community.name}
    if event.level == Level.DEPARTMENT and event.department is not None:
        return event.department.name
    if event.level == Level.STREET:
        return event.street.name
    return event.community.name


@dataclass
class StepRow:
    step: EventStep
    actor: str
    photos: list[EventPhoto] = field(default_factory=list)


class LongOpenForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Open for more than (days)"),
        min_value=1,
        max_value=LONG_OPEN_MAX_DAYS,
    )


class EventPageMixin(ModelAdminMixinBase):
    """For ``EventAdmin``: the event's page instead of Django's change form, its steps, and the
    long-open page."""

    event_page_template = "admin/events/event/change_form.html"
    long_open_template = "admin/events/event/long_open.html"

    # Who sees the page -----------------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or events_visible(request.user).filter(pk=obj.pk).exists()

    def _visible_event(self, request: HttpRequest, object_id: str) -> Event:
        """The event if the reader sees it (a 404 otherwise, as for an event that does not
        exist), with what the page shows of it loaded."""
        if not object_id.isdigit() or not super().has_view_permission(request):
            raise Http404(_("No such event in your area."))
        event = (
            events_visible(request.user)
            .filter(pk=int(object_id))
            .select_related(
                "category",
                "grid",
                "community",
                "street",
                "building",
                "household__building",
                "department",
                "reporter",
            )
            .first()
        )
        if event is None:
            raise Http404(_("No such event in your area."))
        return event

    # URLs ------------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("long-open/", view(self.long_open_view), name=f"{prefix}_long_open"),
            path(
                "<path:object_id>/step/<str:action>/",
                view(self.step_view),
                name=f"{prefix}_step",
            ),
            *super().get_urls(),
        ]

    # The event's page ------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        event = self._visible_event(request, object_id)
        return self._event_page(request, event)

    def _event_page(
        self, request: HttpRequest, event: Event, bound: StepForm | None = None
    ) -> HttpResponse:
        """The page; ``bound`` is a step's form as the reader filled it in, shown again in
        place of the empty one when that step was not taken (or, when the step is no longer
        offered, its text shown to copy)."""
        now = timezone.now()
        steps = [
            StepRow(step=step, actor=person_name(step.actor), photos=list(step.photos.all()))
            for step in event_steps(event)
        ]
        actions = event_actions(request.user, event, now=now)
        step_forms = [
            bound if bound is not None and bound.action == action else STEP_FORMS[action](event)
            for action in actions
        ]
        kept_text = bound.typed_text() if bound is not None and bound.action not in actions else []
        overdue = is_overdue(event, now)
        # The building or household is named only to those whose files show it (a department
        # handling the event has the grid and the phone's position, not the address).
        place = event.household or event.building
        place_shown = place is not None and scope.may(request.user, scope.VIEW, place)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Event #%(number)d: %(category)s")
            % {"number": event.pk, "category": event.category.name},
            "opts": self.opts,
            "object": event,
            "event": event,
            "holder": holder_text(event),
            "overdue": overdue,
            "place": place if place_shown else None,
            "place_hidden": place is not None and not place_shown,
            "now": now,
            "steps": steps,
            # The report's photos show the event; later ones are shown with their step.
            "photos": [
                p for row in steps if row.step.action == EventStep.Action.REPORT for p in row.photos
            ],
            "reporter": person_name(event.reporter),
            "step_forms": step_forms,
            "kept_text": kept_text,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.event_page_template, context)

    def step_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        event = self._visible_event(request, object_id)
        form_class = STEP_FORMS.get(action)
        if form_class is None:
            raise Http404(_("No such step."))
        actor = actor_of(request)
        # Out of the reader's scope or role: 403 before reading anything posted. (The service
        # asks the same rule again under the row lock.)
        refusal = event_action_refusal(actor, event, action)
        if refusal is not None and refusal.forbidden:
            raise PermissionDenied(refusal.message)
        form = form_class(event, request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("The step was not taken: see what is missing below."))
            return self._event_page(request, event, bound=form)
        try:
            form.take(actor)
        except ValidationError as refused:
            # Not taken: the page as it stands now, with what the reader typed kept in the
            # form (against the version now shown), to send again or copy.
            for message in refused.messages:
                messages.error(request, message)
            if request.FILES:
                messages.warning(request, _("The photos were not kept: choose them again."))
            event = self._visible_event(request, object_id)
            return self._event_page(request, event, bound=form.kept_for(event))
        messages.success(
            request,
            _("Event #%(number)d: %(step)s.")
            % {"number": event.pk, "step": EventStep.Action(action).label},
        )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:events_event_change", args=[event.pk])
        )

    # The long-open page ----------------------------------------------------------------------

    def long_open_view(self, request: HttpRequest) -> HttpResponse:
        """Events the reader sees that have been red or yellow longer than N days, by who holds
        them: each department, and the communities and streets for those not transferred."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = settings.EVENT_LONG_OPEN_DAYS
        form = LongOpenForm(request.GET if "days" in request.GET else None, initial={"days": days})
        if form.is_bound and form.is_valid():
            days = form.cleaned_data["days"]
        now = timezone.now()
        groups = long_open_by_department(request.user, days=days, now=now)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Events red or yellow for more than %(days)d days") % {"days": days},
            "opts": self.opts,
            "form": form,
            "days": days,
            "groups": groups,
            "total": sum(group.count for group in groups),
            "shown": sum(len(group.events) for group in groups),
            "now": now,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.long_open_template, context)
