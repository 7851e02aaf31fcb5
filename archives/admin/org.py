"""Admin pages of the org hierarchy, departments and tags."""

from django.contrib import admin
from django.db.models import Count
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from archives import services
from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin, OrgUnitAdmin, actor_of
from archives.admin.filters import CommunityStreetFilter, org_filters
from archives.admin.plans import PlanAdminMixin
from archives.models import (
    Community,
    Department,
    Grid,
    Street,
    Tag,
)


@admin.register(Street)
class StreetAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "community_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_count=Count("communities"))

    @admin.display(description=_("communities"), ordering="community_count")
    def community_count(self, street: Street) -> int:
        return street.community_count  # type: ignore[attr-defined]  # get_queryset's annotation

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        services.street_save(street=obj, actor=actor_of(request), reason=self.change_reason(form))


@admin.register(Community)
class CommunityAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "street", "grid_count"]
    list_filter = [CommunityStreetFilter]
    list_select_related = ["street"]
    autocomplete_fields = ["street"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(grid_count=Count("grids"))

    @admin.display(description=_("grids"), ordering="grid_count")
    def grid_count(self, community: Community) -> int:
        return community.grid_count  # type: ignore[attr-defined]  # get_queryset's annotation

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        services.community_save(
            community=obj, actor=actor_of(request), reason=self.change_reason(form)
        )


@admin.register(Grid)
# guardian types its change_form_template as a plain str where Django allows None.
class GridAdmin(PlanAdminMixin, OrgUnitAdmin):  # type: ignore[misc]
    list_display = ["code", "name", "community", "street", "plan_link"]
    list_filter = org_filters("")[:2]
    list_select_related = ["community__street"]
    autocomplete_fields = ["community", "members"]

    @admin.display(description=_("street"), ordering="community__street__name")
    def street(self, grid: Grid) -> Street:
        return grid.community.street

    def plan_buildings(self, grid: Grid):
        return grid.buildings.all()

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        services.grid_save(
            grid=obj,
            actor=actor_of(request),
            reason=self.change_reason(form),
            members=form.cleaned_data.get("members"),
        )


@admin.register(Tag)
class TagAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = ["code", "name", "needs_visits_per_month"]
    search_fields = ["code", "name"]

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        services.tag_save(tag=obj, actor=actor_of(request), reason=self.change_reason(form))


@admin.register(Department)
class DepartmentAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "serves_whole_city", "shares_medical_history"]
    filter_horizontal = ["served_tags", "streets"]

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        services.department_save(
            department=obj,
            actor=actor_of(request),
            reason=self.change_reason(form),
            served_tags=form.cleaned_data.get("served_tags"),
            streets=form.cleaned_data.get("streets"),
        )
