"""The board for claimers and the love bank: two pages of ``WishAdmin`` that are no model's
list, linked from the index and the sidebar (``app_list_entries``) and the wishes list.

The board shows the open wishes one may claim (``wishes.selectors.board_wishes``), the soonest
wanted first, as cards made for a phone: title, category, community, place, wanted-by date, the
resident's first name only, the photos, and a button that claims it (the wish page's ``claim``
step). The love bank shows the rankings of departments and of people for a month and for all
time (``love_bank_ranking``), and a claimer's own points and confirmed wishes.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import User
from wishes.forms import BoardFilterForm, ClaimForm, MonthForm
from wishes.models import Wish, WishPhoto
from wishes.selectors import (
    board_wishes,
    claimer_of,
    love_bank_of,
    love_bank_ranking,
    resident_first_name,
)

#: Names of the pages' URLs (``admin:<name>``).
BOARD = "wishes_wish_board"
LOVE_BANK = "wishes_wish_love_bank"
#: Wishes shown on the board at once (the filters narrow it).
BOARD_SHOWN = 100
CLAIM_PERMISSION = "wishes.claim_wish"
VIEW_PERMISSION = "wishes.view_wish"


def may_claim(user: User) -> bool:
    return bool(user.is_active and user.has_perm(CLAIM_PERMISSION))


def may_see_love_bank(user: User) -> bool:
    return bool(user.is_active and user.has_perm(VIEW_PERMISSION))


def page_links(user: User) -> dict[str, str]:
    """The board's and the love bank's URLs for those who may open them (template context)."""
    links = {}
    if may_claim(user):
        links["board_url"] = reverse(f"admin:{BOARD}")
    if may_see_love_bank(user):
        links["love_bank_url"] = reverse(f"admin:{LOVE_BANK}")
    return links


def app_list_entries(request: HttpRequest) -> list[dict[str, Any]]:
    """The two pages as entries of the index's and the sidebar's lists: the board first."""
    entries = []
    if may_claim(request.user):
        entries.append(_entry(_("Wish board"), "WishBoard", BOARD))
    if may_see_love_bank(request.user):
        entries.append(_entry(_("Love bank"), "LoveBank", LOVE_BANK))
    return entries


def _entry(name: str, object_name: str, url_name: str) -> dict[str, Any]:
    return {
        "name": name,
        "object_name": object_name,
        "perms": {"view": True},
        "admin_url": reverse(f"admin:{url_name}"),
        "add_url": None,
        "view_only": True,
    }


@dataclass
class BoardCard:
    wish: Wish
    resident: str
    photos: list[WishPhoto]
    claim_form: ClaimForm


def board_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_claim(user):
        raise PermissionDenied
    board = board_wishes(user)
    form = BoardFilterForm(board, request.GET or None)
    shown = list(
        form.apply(board)
        .select_related("category", "community", "resident")
        .prefetch_related("photos")[:BOARD_SHOWN]
    )
    cards = [
        BoardCard(
            wish=wish,
            resident=resident_first_name(wish),
            # The wish's own photos, not a claim's evidence.
            photos=[p for p in wish.photos.all() if p.claim_id is None],
            claim_form=ClaimForm(wish),
        )
        for wish in shown
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Wish board"),
        "opts": Wish._meta,
        "form": form,
        "cards": cards,
        "shown_limit": BOARD_SHOWN,
        "is_claimer": claimer_of(user) is not None,
        **page_links(user),
    }
    return TemplateResponse(request, "admin/wishes/wish/board.html", context)


def love_bank_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_see_love_bank(user):
        raise PermissionDenied
    today = timezone.localdate()
    this_month = today.replace(day=1)
    form = MonthForm(request.GET or None, initial={"month": this_month})
    month = this_month
    if form.is_bound and form.is_valid() and form.cleaned_data.get("month"):
        month = form.cleaned_data["month"].replace(day=1)
    claimer = claimer_of(user)
    own = None
    if claimer is not None:
        points, confirmed = love_bank_of(claimer)
        own = {"claimer": claimer, "points": points, "claims": list(confirmed)}
    context = {
        **admin.site.each_context(request),
        "title": _("Love bank"),
        "opts": Wish._meta,
        "form": form,
        "month": month,
        "previous_month": (month - dt.timedelta(days=1)).replace(day=1),
        "rankings": [
            (
                _("Departments this month"),
                "departments-month",
                love_bank_ranking(who="departments", month=month),
            ),
            (_("People this month"), "people-month", love_bank_ranking(who="people", month=month)),
            (_("Departments, all time"), "departments-all", love_bank_ranking(who="departments")),
            (_("People, all time"), "people-all", love_bank_ranking(who="people")),
        ],
        "own": own,
        **page_links(user),
    }
    return TemplateResponse(request, "admin/wishes/wish/love_bank.html", context)
