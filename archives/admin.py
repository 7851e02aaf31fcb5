from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from archives import scope, services
from archives.admin_filters import org_filters
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    Household,
    Resident,
    Street,
    Tag,
    Visit,
)
from archives.validators import ID_NUMBER_SHAPE, normalize_id_number


class ScopedArchiveAdmin(admin.ModelAdmin):
    """Admin for archive rows: lists, object pages and foreign-key choices follow ``scope``."""

    def get_queryset(self, request):
        return scope.restrict_to_scope(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._reaches(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._reaches(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._reaches(request, obj)

    @staticmethod
    def _reaches(request, obj) -> bool:
        """Without an object the question is model-level; with one, it must be in scope."""
        return obj is None or scope.in_scope(request.user, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices (and so server-side validation of a posted ID) are limited to the user's scope;
        # a forged POST naming another grid's household fails as "not one of the choices".
        related = db_field.related_model
        if related in scope.GRID_PATHS:
            kwargs["queryset"] = scope.restrict_to_scope(
                related._default_manager.all(), request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_count=Count("communities"))

    @admin.display(description=_("communities"), ordering="community_count")
    def community_count(self, street: Street) -> int:
        return street.community_count


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "street", "grid_count"]
    list_filter = ["street"]
    list_select_related = ["street"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["street"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(grid_count=Count("grids"))

    @admin.display(description=_("grids"), ordering="grid_count")
    def grid_count(self, community: Community) -> int:
        return community.grid_count


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "street"]
    list_filter = org_filters("")[:2]
    list_select_related = ["community__street"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["community", "members"]

    @admin.display(description=_("street"), ordering="community__street__name")
    def street(self, grid: Grid) -> Street:
        return grid.community.street


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "needs_visits_per_month"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "serves_whole_city"]
    search_fields = ["code", "name"]
    filter_horizontal = ["served_tags", "streets"]


@admin.register(Building)
class BuildingAdmin(ScopedArchiveAdmin):
    list_display = ["address", "grid", "community", "units", "floors"]
    list_filter = org_filters("grid")
    list_select_related = ["grid__community"]
    search_fields = ["address", "grid__code"]
    autocomplete_fields = ["grid"]

    @admin.display(description=_("community"), ordering="grid__community__name")
    def community(self, building: Building) -> Community:
        return building.grid.community


@admin.register(Household)
class HouseholdAdmin(ScopedArchiveAdmin):
    list_display = ["__str__", "status", "grid"]
    list_filter = ["status", *org_filters("building__grid")]
    show_full_result_count = False
    search_fields = ["building__address", "=room"]
    autocomplete_fields = ["building"]

    def get_queryset(self, request):
        # Its name includes the building's address, also in autocomplete results. (A queryset
        # that already selects related rows makes the changelist skip list_select_related.)
        return super().get_queryset(request).select_related("building__grid")

    @admin.display(description=_("grid"), ordering="building__grid__name")
    def grid(self, household: Household) -> Grid:
        return household.building.grid


@admin.register(Resident)
class ResidentAdmin(ScopedArchiveAdmin):
    list_display = [
        "name",
        "id_number",
        "sex",
        "birth_date",
        "phone",
        "residency_status",
        "household",
        "grid",
        "tag_list",
    ]
    list_filter = [
        "residency_status",
        "tags",
        "ethnicity",
        *org_filters("household__building__grid"),
    ]
    list_select_related = ["household__building__grid"]
    # Name or phone by any part; a whole ID number is looked up exactly (get_search_results).
    search_fields = ["name", "phone"]
    autocomplete_fields = ["household", "tags"]
    readonly_fields = ["last_verified_at", "last_verified_by", "created_at", "updated_at"]
    # Counting the whole archive a second time for "N total" costs a full scan at province scale.
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["name", "id_number", "sex", "birth_date", "ethnicity", "phone"]}),
        (
            _("Household"),
            {"fields": ["household", "relation_to_head", "residency_status", "tags"]},
        ),
        (_("Health"), {"fields": ["medical_history"]}),
        (
            _("Record"),
            {"fields": ["last_verified_at", "last_verified_by", "created_at", "updated_at"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_search_results(self, request, queryset, search_term):
        # An ID number is the one exact key: answer it from its index alone instead of OR-ing it
        # with substring scans of names and phones.
        term = normalize_id_number(search_term)
        if ID_NUMBER_SHAPE.match(term):
            return queryset.filter(id_number=term), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("grid"), ordering="household__building__grid__name")
    def grid(self, resident: Resident) -> Grid:
        return resident.household.building.grid

    @admin.display(description=_("tags"))
    def tag_list(self, resident: Resident) -> str:
        return "、".join(tag.name for tag in resident.tags.all())

    def save_model(self, request, obj, form, change):
        services.resident_save(resident=obj, actor=request.user)


@admin.register(Visit)
class VisitAdmin(ScopedArchiveAdmin):
    list_display = ["visited_at", "household", "grid_member", "note"]
    list_filter = org_filters("household__building__grid")
    list_select_related = ["household__building", "grid_member"]
    search_fields = ["household__building__address", "note"]
    autocomplete_fields = ["household"]
    # No date_hierarchy: its year/month links scan every visit for DISTINCT DATE_TRUNC (0.7 s at
    # 850,000 visits); the newest visits come first through the (visited_at, id) index.
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid_member":
            # The members of the grids in scope: a handful of people, so a plain select.
            members = get_user_model().objects.filter(
                grids__in=scope.grids_visible_to(request.user)
            )
            kwargs["queryset"] = members.distinct().order_by("username")
            kwargs.setdefault("initial", request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
