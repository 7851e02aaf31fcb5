"""Changelist filters by street, community and grid.

Django's ``RelatedFieldListFilter`` lists every related row, and ``RelatedOnlyFieldListFilter``
scans the whole filtered table to find the used ones. These filters list org units from their own
small tables instead and cascade: communities are offered once a street is chosen, and grids once
a community is chosen, so a page never renders thousands of choices. Choices stay within the
user's scope.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from archives import scope
from archives.models import Community, Grid, Street


def _chosen(request, parameter: str) -> str | None:
    value = request.GET.get(parameter)
    return value if value and value.isdigit() else None


class _OrgUnitFilter(admin.SimpleListFilter):
    #: Path from the filtered model to ``Grid``, e.g. ``household__building__grid``.
    grid_path: str = ""
    #: Path from ``Grid`` to the org unit this filter chooses.
    unit_path_from_grid: str = ""

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        path = "__".join(p for p in (self.grid_path, self.unit_path_from_grid) if p)
        return queryset.filter(**{f"{path}_id": value})


class StreetFilter(_OrgUnitFilter):
    title = _("street")
    parameter_name = "street"
    unit_path_from_grid = "community__street"

    def lookups(self, request, model_admin):
        streets = scope.restrict(Street.objects.all(), request.user)
        return [(s.pk, s.name) for s in streets.only("pk", "name")]


class CommunityStreetFilter(StreetFilter):
    """The street filter on the community list, where the street is one step away."""

    unit_path_from_grid = "street"


# Django applies a SimpleListFilter only while it offers choices, so the community and grid
# filters, whose choices wait for a parent, still offer their own chosen value: a link to
# ?grid=N must never be ignored.


class CommunityFilter(_OrgUnitFilter):
    title = _("community")
    parameter_name = "community"
    unit_path_from_grid = "community"

    def lookups(self, request, model_admin):
        if street := _chosen(request, StreetFilter.parameter_name):
            communities = Community.objects.filter(street_id=street)
        else:  # offered once a street is chosen (a province has hundreds), or when linked to
            communities = Community.objects.filter(pk=_chosen(request, self.parameter_name))
        communities = scope.restrict(communities, request.user)
        return [(c.pk, c.name) for c in communities.only("pk", "name")]


class GridFilter(_OrgUnitFilter):
    title = _("grid")
    parameter_name = "grid"
    unit_path_from_grid = ""

    def lookups(self, request, model_admin):
        if community := _chosen(request, CommunityFilter.parameter_name):
            grids = Grid.objects.filter(community_id=community)
        else:  # offered once a community is chosen (a province has thousands), or when linked to
            grids = Grid.objects.filter(pk=_chosen(request, self.parameter_name))
        grids = scope.restrict(grids, request.user)
        return [(g.pk, g.name) for g in grids.only("pk", "name")]


def org_filters(grid_path: str) -> list[type[admin.SimpleListFilter]]:
    """Street, community and grid filters for a model reaching ``Grid`` through ``grid_path``."""
    suffix = grid_path.title().replace("__", "").replace("_", "")
    return [
        type(f"{base.__name__}Via{suffix}", (base,), {"grid_path": grid_path})
        for base in (StreetFilter, CommunityFilter, GridFilter)
    ]
