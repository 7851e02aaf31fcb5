"""The one place that decides which archive rows a user may see or touch.

Every path that returns archive rows (admin lists and forms, autocomplete, exports, reports,
audits) filters through ``restrict_to_scope`` or asks ``in_scope``. Scope always resolves through
a row's grid, so there are never per-resident permission rows, and the filter is a subquery on
grid IDs that the database plans with its indexes, whatever the archive's size.

Today's rules: superusers see every grid; a grid member sees the grids they are a member of;
everyone else sees nothing. Grants on streets, communities and departments extend
``grids_visible_to`` here and nowhere else.
"""

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet

from archives.models import Building, Grid, Household, Resident, Visit

#: How each scoped model reaches its grid.
GRID_PATHS: dict[type[Model], str] = {
    Grid: "pk",
    Building: "grid",
    Household: "building__grid",
    Resident: "household__building__grid",
    Visit: "household__building__grid",
}

M = TypeVar("M", bound=Model)


def grids_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Grid]:
    if not user.is_active:
        return Grid.objects.none()
    if user.is_superuser:
        return Grid.objects.all()
    return Grid.objects.filter(members=user)


def restrict_to_scope(queryset: QuerySet[M], user) -> QuerySet[M]:
    """``queryset`` narrowed to the rows in ``user``'s grids."""
    if user.is_active and user.is_superuser:
        return queryset
    path = GRID_PATHS[queryset.model]
    lookup = f"{path}__in" if path != "pk" else "pk__in"
    return queryset.filter(**{lookup: grids_visible_to(user).values("pk")})


def in_scope(user, obj: Model) -> bool:
    model = type(obj)
    return restrict_to_scope(model._default_manager.filter(pk=obj.pk), user).exists()
