"""The wishes list and the post form, with the pages that hang off the wishes: the board for
claimers (``wishes.admin.board``), the love bank and the wish's own page
(``wishes.admin.wish_page``) and the photos (``wishes.photo_view``).

The list shows the wishes the reader sees (``wishes.selectors.wishes_visible``): for community
staff their community's wishes in every state, for streets and the city their area's, for a
claimer the open wishes and their own. It names no resident. The add page is the post form, for
those who may post in a community. Wishes are never deleted: the love bank and the monthly
figures count them.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from archives import scope
from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin, actor_of
from wishes.admin import board
from wishes.admin.wish_page import WishPageMixin
from wishes.forms import WishPostForm
from wishes.models import Wish
from wishes.photo_view import wish_photo
from wishes.selectors import POST_PERMISSION, wishes_visible


def state_badge(state: str, label: str) -> SafeString:
    """A wish's or claim's state in words on a coloured badge (never colour alone)."""
    return format_html('<span class="wish-state wish-state-{}">{}</span>', state, label)


@admin.register(Wish)
class WishAdmin(WishPageMixin, HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    change_list_template = "admin/wishes/wish/change_list.html"
    list_display = ["title", "state_column", "category", "community_name", "place", "wanted_by"]
    list_display_links = ["title"]
    list_filter = [
        "state",
        "category",
        ("community", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["category", "community"]
    search_fields = ["title"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    # The history names no resident: claimers may open it too.
    history_fields = [
        "title",
        "description",
        "category",
        "place",
        "wanted_by",
        "state",
        "withdraw_reason",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wish]:
        return wishes_visible(request.user, super().get_queryset(request))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # wishes are never deleted: the love bank and the figures count them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A wish changes through the steps of its page, never through Django's form.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # The list's columns ----------------------------------------------------------------------

    @admin.display(description=_("state"), ordering="state")
    def state_column(self, wish: Wish) -> SafeString:
        return state_badge(wish.state, wish.get_state_display())

    @admin.display(description=_("community"), ordering="community__name")
    def community_name(self, wish: Wish) -> str:
        return wish.community.name

    # URLs ------------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("board/", view(board.board_view), name=board.BOARD),
            path("love-bank/", view(board.love_bank_view), name=board.LOVE_BANK),
            path(
                "photo/<int:pk>/",
                self.admin_site.admin_view(wish_photo, cacheable=True),
                name="wishes_wish_photo",
            ),
            *self.wish_page_urls(),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        links = board.page_links(request.user)
        return super().changelist_view(request, {**links, **(extra_context or {})})

    # The post form ---------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope.works_in_some_community(request.user, permission=POST_PERMISSION)

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
            form = WishPostForm(user, self.admin_site, request.POST, request.FILES)
            if form.is_valid():
                try:
                    wish = form.save(actor_of(request))
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request,
                        gettext("Wish “%(wish)s” posted: it is on the board for claimers.")
                        % {"wish": wish.title},
                    )
                    return HttpResponseRedirect(
                        reverse(f"{self.admin_site.name}:wishes_wish_change", args=[wish.pk])
                    )
        else:
            form = WishPostForm(user, self.admin_site)
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": gettext("Post a wish"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wishes/wish/post_form.html", context)
