"""A wish's page: what, where, by when, its photos, its claims as far as the reader may see them,
and the steps the reader may take now; each step a small form (``wishes.forms``) posting to
``<id>/step/<action>/``.

Nothing here decides who may do what: the page offers the steps ``wishes.selectors.wish_actions``
names, and each step's service asks ``wish_action_refusal`` again (``PermissionDenied``: 403;
``ValidationError`` — out of turn, or someone acted meanwhile: a message, nothing changed).

Claimers see the wish as the board shows it: the resident's first name, never the resident's
file; only those whose archive shows the resident see the name in full.
"""

from dataclasses import dataclass, field
from typing import Any

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
from django.utils.translation import gettext as _

from accounts.names import person_name
from archives import scope
from archives.admin.base import ModelAdminMixinBase, actor_of
from wishes.forms import STEP_DONE, STEP_FORMS, StepForm
from wishes.models import Claim, Wish, WishPhoto
from wishes.selectors import (
    claims_visible,
    live_claim,
    resident_first_name,
    wish_actions,
    wish_step_refusal,
    wishes_visible,
)


@dataclass
class ClaimRow:
    claim: Claim
    claimer: str
    photos: list[WishPhoto] = field(default_factory=list)


class WishPageMixin(ModelAdminMixinBase):
    """For ``WishAdmin``: the wish's page instead of Django's change form, and its steps."""

    wish_page_template = "admin/wishes/wish/change_form.html"

    # Who sees the page -----------------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or wishes_visible(request.user).filter(pk=obj.pk).exists()

    def _visible_wish(self, request: HttpRequest, object_id: str) -> Wish:
        """The wish if the reader sees it (a 404 otherwise, as for one that does not exist)."""
        if not object_id.isdigit() or not super().has_view_permission(request):
            raise Http404(_("No such wish in your area."))
        wish = (
            wishes_visible(request.user)
            .filter(pk=int(object_id))
            .select_related("category", "community", "resident", "posted_by")
            .first()
        )
        if wish is None:
            raise Http404(_("No such wish in your area."))
        return wish

    # URLs ------------------------------------------------------------------------------------

    def wish_page_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/step/<str:action>/",
                view(self.step_view),
                name=f"{prefix}_step",
            ),
        ]

    # The wish's page -------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        wish = self._visible_wish(request, object_id)
        return self._wish_page(request, wish)

    def _wish_page(
        self, request: HttpRequest, wish: Wish, bound: StepForm | None = None
    ) -> HttpResponse:
        user = request.user
        step_forms = [
            bound if bound is not None and bound.action == action else STEP_FORMS[action](wish)
            for action in wish_actions(user, wish)
            if action in STEP_FORMS
        ]
        photos = list(wish.photos.all())
        claims = [
            ClaimRow(
                claim=claim,
                claimer=str(claim.claimer),
                photos=[p for p in photos if p.claim_id == claim.pk],
            )
            for claim in claims_visible(user)
            .filter(wish=wish)
            .select_related("claimer", "department", "confirmed_by")
            .order_by("claimed_at", "pk")
        ]
        # The resident: in full to those whose archive shows them, the first name to others.
        resident_full = wish.resident is not None and scope.may(user, scope.VIEW, wish.resident)
        context = {
            **self.admin_site.each_context(request),
            "title": wish.title,
            "opts": self.opts,
            "object": wish,
            "wish": wish,
            "resident_name": (
                wish.resident.name
                if resident_full and wish.resident is not None
                else resident_first_name(wish)
            ),
            "resident_url": (
                reverse("admin:archives_resident_change", args=[wish.resident_id])
                if resident_full
                else ""
            ),
            "poster": person_name(wish.posted_by),
            "photos": [p for p in photos if p.claim_id is None],
            "claims": claims,
            "step_forms": step_forms,
            "edit_form": next((f for f in step_forms if f.action == "edit"), None),
            "has_view_permission": True,
            "history_url": reverse(f"{self.admin_site.name}:wishes_wish_history", args=[wish.pk]),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.wish_page_template, context)

    def step_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        wish = self._visible_wish(request, object_id)
        form_class = STEP_FORMS.get(action)
        if form_class is None:
            raise Http404(_("No such step."))
        actor = actor_of(request)
        claim = live_claim(wish) if form_class.on_claim else None
        back = HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:wishes_wish_change", args=[wish.pk])
        )
        # Out of the reader's scope or role: 403 before reading anything posted. Out of turn
        # (claimed meanwhile, already done): the selector's words, nothing changed. (The
        # service asks the same rule again under the row lock.)
        refusal = wish_step_refusal(actor, claim if claim is not None else wish, action)
        if refusal is not None and refusal.forbidden:
            raise PermissionDenied(refusal.message)
        if refusal is not None:
            messages.error(request, refusal.message)
            return back
        form = form_class(wish, request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("The step was not taken: see what is missing below."))
            return self._wish_page(request, wish, bound=form)
        try:
            form.take(actor, claim)
        except ValidationError as refused:
            for message in refused.messages:
                messages.error(request, message)
            return back
        messages.success(
            request,
            _("%(wish)s: %(done)s.") % {"wish": wish.title, "done": STEP_DONE[action]},
        )
        return back
