"""The building list: import, export and the floor plan of each building. Its form takes the
building's position, typed or filled by "use my location" when standing at the door."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from archives import services
from archives.admin.base import ScopedArchiveAdmin, actor_of
from archives.admin.exports import ArchiveExportMixin
from archives.admin.filters import org_filters
from archives.admin.forms import ChangeReasonForm
from archives.admin.imports import BUILDINGS, ImportMixin
from archives.admin.plans import PlanAdminMixin
from archives.admin.widgets import location_widgets
from archives.models import Building, Community
from archives.resources import BuildingResource


class BuildingForm(ChangeReasonForm):
    class Meta:
        widgets = location_widgets()


@admin.register(Building)
class BuildingAdmin(PlanAdminMixin, ImportMixin, ArchiveExportMixin, ScopedArchiveAdmin):
    importer = BUILDINGS
    form = BuildingForm
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
        services.building_save(
            building=obj, actor=actor_of(request), reason=self.change_reason(form)
        )
