"""Wish categories and their points: what a fulfilled wish adds to its claimer's love bank.
Administrators keep them (through ``wishes.services.wish_category_save``); community staff read
them. A category is never deleted: the wishes keep theirs, and one no longer used is taken out
of use."""

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import pgettext_lazy

from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin, actor_of
from wishes.models import WishCategory
from wishes.services import wish_category_save

CATEGORY_FIELDS = ["code", "name", "points", "active"]


@admin.register(WishCategory)
class WishCategoryAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = ["code", "name", "points_column", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    show_facets = admin.ShowFacets.NEVER
    fields = [*CATEGORY_FIELDS, "change_reason"]
    history_fields = CATEGORY_FIELDS

    @admin.display(description=pgettext_lazy("love bank", "points"), ordering="points")
    def points_column(self, category: WishCategory) -> int:
        return category.points

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "points" in form.base_fields:
            # "points" alone is a patrol's track points in this portal's translation.
            form.base_fields["points"].label = pgettext_lazy("love bank", "points")
        return form

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # wishes keep their category: one no longer used is taken out of use

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        saved = wish_category_save(
            actor=actor_of(request),
            category=obj if change else None,
            reason=self.change_reason(form),
            **{name: form.cleaned_data[name] for name in CATEGORY_FIELDS},
        )
        obj.pk = saved.pk
