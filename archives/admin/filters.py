"""Changelist filters by street, community and grid.

Django's ``RelatedFieldListFilter`` lists every related row, and ``RelatedOnlyFieldListFilter``
scans the whole filtered table to find the used ones. These filters list org units from their own
small tables instead and cascade: communities are offered once a street is chosen, and grids once
a community is chosen, so a page never renders thousands of choices. Choices stay within the
user's scope.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
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


def _choices(units: QuerySet[Any], request: HttpRequest) -> list[tuple[str, str]]:
    """(id, name) of the units the user may see; the id as the query string carries it."""
    return [(str(u.pk), u.name) for u in scope.restrict(units, request.user).only("pk", "name")]


class StreetFilter(_OrgUnitFilter):
    title = _("street")
    parameter_name = "street"
    unit_path_from_grid = "community__street"

    def lookups(self, request, model_admin):
        return _choices(Street.objects.all(), request)


class CommunityStreetFilter(StreetFilter):
    """The street filter on the community list, where the street is one step away."""

    unit_path_from_grid = "street"


class _CascadingFilter(_OrgUnitFilter):
    """Offers the units under the chosen parent unit: communities once a street is chosen (a
    province has hundreds), grids once a community is (it has thousands).

    Django applies a SimpleListFilter only while it offers choices, so without a parent the
    filter still offers its own chosen value: a link to ?grid=N must never be ignored.
    """

    unit_model: type[Model]
    #: The parent filter's parameter, and the unit's field that names the parent.
    parent_parameter: str
    parent_field: str

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        units = self.unit_model._default_manager.all()
        if parent := _chosen(request, self.parent_parameter):
            units = units.filter(**{self.parent_field: parent})
        elif chosen := _chosen(request, self.parameter_name or ""):
            units = units.filter(pk=chosen)
        else:
            return []  # nothing to offer: no query (a list page asked twice for no rows)
        return _choices(units, request)


class CommunityFilter(_CascadingFilter):
    title = _("community")
    parameter_name = "community"
    unit_path_from_grid = "community"
    unit_model = Community
    parent_parameter, parent_field = StreetFilter.parameter_name, "street_id"


class GridFilter(_CascadingFilter):
    title = _("grid")
    parameter_name = "grid"
    unit_path_from_grid = ""
    unit_model = Grid
    parent_parameter, parent_field = CommunityFilter.parameter_name, "community_id"


def org_filters(grid_path: str) -> tuple[type[admin.ListFilter], ...]:
    """Street, community and grid filters for a model reaching ``Grid`` through ``grid_path``."""
    suffix = grid_path.title().replace("__", "").replace("_", "")
    return tuple(
        type(f"{base.__name__}Via{suffix}", (base,), {"grid_path": grid_path})
        for base in (StreetFilter, CommunityFilter, GridFilter)
    )
