"""Claims: for a claimer "my claims" (``wishes.selectors.claims_visible`` gives one's own), for
community staff, streets and the city the claims on their area's wishes.

A claim has no page of its own: its steps (withdraw, mark done, confirm, return) are taken on
its wish's page, where the claim is shown; the list links there. Claims are made by claiming on
the board, never added here, and never deleted.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin
from wishes.admin import board
from wishes.admin.wishes import state_badge
from wishes.models import Claim
from wishes.selectors import claims_visible


@admin.register(Claim)
class ClaimAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = [
        "wish_link",
        "state_column",
        "claimer_name",
        "claimed_at",
        "done_at",
        "confirmed_at",
        "points_column",
    ]
    list_display_links = None
    list_filter = ["state"]
    list_select_related = ["wish", "claimer", "department"]
    search_fields = ["wish__title"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    history_fields = ["state", "done_note", "returns", "withdraw_reason", "points"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return claims_visible(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a claim is made on the board

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # its steps are on its wish's page

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the love bank counts claims

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        links = board.page_links(request.user)
        return super().changelist_view(request, {**links, **(extra_context or {})})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A claim is shown on its wish's page."""
        claim = (
            self.get_queryset(request).filter(pk=object_id).first()
            if object_id.isdigit() and self.has_view_permission(request)
            else None
        )
        if claim is None:
            raise Http404(gettext("No such claim in your area."))
        return HttpResponseRedirect(reverse("admin:wishes_wish_change", args=[claim.wish_id]))

    @admin.display(description=pgettext_lazy("wish page", "wish"), ordering="wish__title")
    def wish_link(self, claim: Claim) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:wishes_wish_change", args=[claim.wish_id]),
            claim.wish.title,
        )

    @admin.display(description=_("state"), ordering="state")
    def state_column(self, claim: Claim) -> SafeString:
        return state_badge(claim.state, claim.get_state_display())

    @admin.display(description=pgettext_lazy("love bank", "points"), ordering="points")
    def points_column(self, claim: Claim) -> int:
        return claim.points

    @admin.display(description=pgettext_lazy("wish page", "claimer"), ordering="claimer__name")
    def claimer_name(self, claim: Claim) -> str:
        return str(claim.claimer)
