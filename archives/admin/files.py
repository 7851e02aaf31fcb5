"""Admin pages of buildings, households and visits."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.names import person_name
from archives import scope, services
from archives.admin.base import ScopedArchiveAdmin
from archives.admin.exports import ArchiveExportMixin
from archives.admin.filters import org_filters
from archives.admin.households import HouseholdPageMixin
from archives.admin.imports import BUILDINGS, HOUSEHOLDS, ImportMixin
from archives.admin.plans import PlanAdminMixin
from archives.admin.task_filters import VisitsDueFilter, visits_reason
from archives.admin.visits import VISIT_FIELDS, VisitForm, visit_initial_time
from archives.models import (
    Building,
    Community,
    Grid,
    Household,
    Visit,
)
from archives.resources import BuildingResource, HouseholdResource, VisitResource


@admin.register(Building)
class BuildingAdmin(PlanAdminMixin, ImportMixin, ArchiveExportMixin, ScopedArchiveAdmin):
    importer = BUILDINGS
    resource_classes = [BuildingResource]
    list_display = ["address", "grid", "community", "units", "floors", "plan_link"]
    list_filter = org_filters("grid")
    list_select_related = ["grid__community"]
    search_fields = ["address", "grid__code"]
    autocomplete_fields = ["grid"]

    @admin.display(description=_("community"), ordering="grid__community__name")
    def community(self, building: Building) -> Community:
        return building.grid.community

    def plan_buildings(self, building: Building):
        return Building.objects.filter(pk=building.pk)

    def save_model(self, request, obj, form, change):
        services.building_save(building=obj, actor=request.user, reason=self.change_reason(form))


@admin.register(Household)
class HouseholdAdmin(HouseholdPageMixin, ImportMixin, ArchiveExportMixin, ScopedArchiveAdmin):
    importer = HOUSEHOLDS
    resource_classes = [HouseholdResource]
    list_display = ["__str__", "status", "grid"]
    list_filter = ["status", VisitsDueFilter, *org_filters("building__grid")]
    search_fields = ["building__address", "=room"]
    autocomplete_fields = ["building"]

    def get_queryset(self, request):
        # Its name includes the building's address, also in autocomplete results. (A queryset
        # that already selects related rows makes the changelist skip list_select_related.)
        return super().get_queryset(request).select_related("building__grid")

    @admin.display(description=_("grid"), ordering="building__grid__name")
    def grid(self, household: Household) -> Grid:
        return household.building.grid

    def get_list_display(self, request):
        # The dashboard's "all" link: each household says why it is still to visit.
        if VisitsDueFilter.active(request):
            return [*super().get_list_display(request), "why_to_visit"]
        return super().get_list_display(request)

    @admin.display(description=_("why"))
    def why_to_visit(self, household: Household) -> str:
        return visits_reason(household)

    def save_model(self, request, obj, form, change):
        services.household_save(household=obj, actor=request.user, reason=self.change_reason(form))


@admin.register(Visit)
class VisitAdmin(ArchiveExportMixin, ScopedArchiveAdmin):
    resource_classes = [VisitResource]
    form = VisitForm
    fields = VISIT_FIELDS
    list_display = [
        "visited_at",
        "household",
        "visitor",
        "met",
        "findings",
        "needs_follow_up",
        "note",
    ]
    list_filter = ["needs_follow_up", "met", *org_filters("household__building__grid")]
    list_select_related = ["household__building", "grid_member"]
    search_fields = ["household__building__address", "note"]
    autocomplete_fields = ["household"]
    # No date_hierarchy: its year/month links scan every visit for DISTINCT DATE_TRUNC (0.7 s at
    # 850,000 visits); the newest visits come first through the (visited_at, id) index.

    @admin.display(description=_("grid member"), ordering="grid_member")
    def visitor(self, visit):
        return person_name(visit.grid_member)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid_member":
            # The members of the grids the user may log visits in: a handful of people.
            members = get_user_model().objects.filter(
                grids__in=scope.writable(Grid.objects.all(), request.user, for_model=Visit)
            )
            kwargs["queryset"] = members.distinct().order_by("username")
            kwargs.setdefault("initial", request.user.pk)
            formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
            formfield.label_from_instance = person_name
            return formfield
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        # A visit is logged at the door or just after: the form opens at the present minute.
        return {"visited_at": visit_initial_time(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        services.visit_save(visit=obj, actor=request.user, reason=self.change_reason(form))
