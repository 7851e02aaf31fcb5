"""The one place that decides who may see or touch which part of the archive.

Every path asks one of two questions, and both are answered here:

- which rows of a model may this user do an action with: ``restrict(queryset, user, action)``,
  a filter of subqueries on grid IDs that the database plans with its indexes at any size (no
  IDs are loaded into Python);
- may this user do an action with this object: ``may(user, action, obj)``. The authentication
  backend ``portal.backends.ScopeBackend`` answers ``user.has_perm(perm, obj)`` with it, so
  third-party code that asks Django gets the same answer.

What a person may do comes from their role: model-level permissions on their groups
(``portal.roles``). Where they may do it comes from grants (``archives.models.grants``):

- ``access_street``, ``access_community`` or ``access_grid`` on a unit covers that unit and every
  grid below it, for every action the role allows;
- ``access_department`` on a department shows, read-only, the residents in the department's area
  that carry a tag it serves, with their households and buildings;
- the model-level ``access_whole_city`` covers every grid (municipal officials).

A role without grants sees nothing: model-level permissions such as ``view_resident`` never widen
scope. Superusers (administrators) see and do everything. Residents, households, buildings and
visits never carry permission rows of their own; they are in scope through their grid.

Sensitive fields (the full ID number and the medical history) need their own permission and,
row by row, an org grant that covers the row; a department that shares medical history reveals
that field, never the ID number. Everyone else sees ``mask_id_number(...)`` and no history; as
the birth date is digits 7-14 of the ID number, they see an age instead of it.
"""

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.lookups import IsNull
from django.utils.translation import gettext as _

from accounts.system import is_system_account
from accounts.types import User as User  # re-exported: callers name it scope.User
from archives.models import (
    Building,
    Community,
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    Department,
    DepartmentGroupObjectPermission,
    DepartmentUserObjectPermission,
    Grid,
    GridGroupObjectPermission,
    GridUserObjectPermission,
    Household,
    HouseholdTag,
    Resident,
    Street,
    StreetGroupObjectPermission,
    StreetUserObjectPermission,
    Visit,
)

M = TypeVar("M", bound=Model)
T = TypeVar("T")

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ACTIONS = (VIEW, ADD, CHANGE, DELETE)

#: How each archive model reaches its grid. Residents and visits keep their household's grid
#: on the row (``Resident.grid``): through the household and building, a street official's
#: count probed 22,000 households and a department's served residents joined all three tables.
GRID_PATHS: dict[type[Model], str] = {
    Building: "grid",
    Household: "building__grid",
    Resident: "grid",
    Visit: "grid",
}
ORG_UNITS: tuple[type[Model], ...] = (Street, Community, Grid, Department)
SCOPED_MODELS: tuple[type[Model], ...] = (*GRID_PATHS, *ORG_UNITS)

CITY_PERMISSION = "archives.access_whole_city"
ID_NUMBER, MEDICAL_HISTORY = "id_number", "medical_history"
SENSITIVE_PERMISSIONS = {
    ID_NUMBER: "archives.view_resident_id_number",
    MEDICAL_HISTORY: "archives.view_resident_medical_history",
}

# Keyed by the unit's model class; typed loosely because each value pairs that model's own
# guardian tables, whose ``content_object`` django-stubs cannot see through.
_GRANT_TABLES: dict[type[Model], tuple[Any, Any]] = {
    Street: (StreetUserObjectPermission, StreetGroupObjectPermission),
    Community: (CommunityUserObjectPermission, CommunityGroupObjectPermission),
    Grid: (GridUserObjectPermission, GridGroupObjectPermission),
    Department: (DepartmentUserObjectPermission, DepartmentGroupObjectPermission),
}
_ResidentTag = Resident.tags.through
_ServedTag = Department.served_tags.through
_ServedStreet = Department.streets.through


def permission_name(model: type[Model], action: str) -> str:
    """``archives.change_resident`` for ``(Resident, "change")``."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def grant_codename(unit_model: type[Model]) -> str:
    return f"access_{unit_model._meta.model_name}"


# Grants ----------------------------------------------------------------------------------------


def granted_units(user: User | int, unit_model: type[M]) -> QuerySet[M]:
    """The ``unit_model`` rows granted to ``user`` (or the user of that ID) directly or
    through one of their groups."""
    user_table, group_table = _GRANT_TABLES[unit_model]
    codename = grant_codename(unit_model)
    to_user = user_table.objects.filter(user=user, permission__codename=codename)
    to_groups = group_table.objects.filter(group__user=user, permission__codename=codename)
    return unit_model._default_manager.filter(
        Q(pk__in=to_user.values("content_object")) | Q(pk__in=to_groups.values("content_object"))
    )


def _cached(user: User, key: str, build: Callable[[], T]) -> T:
    """``build()`` once per user object, like Django's own permission cache on the user.

    Querysets kept here are lazy subqueries that the database runs afresh every time; only
    building them in Python is saved, which a page asking several questions would repeat.
    """
    cache: dict[str, Any] = user.__dict__.setdefault("_scope_cache", {})
    if key not in cache:
        cache[key] = build()
    built: T = cache[key]
    return built


def granted_grids(user: User) -> QuerySet[Grid]:
    """Grids covered by the user's street, community and grid grants, or by the whole city.

    Department grants are not here: they show only some residents of a grid, read-only.
    """
    grid_ids = _granted_grid_ids(user)
    return Grid.objects.all() if grid_ids is EVERY_GRID else Grid.objects.filter(pk__in=grid_ids)


EVERY_GRID = None


def _granted_grid_ids(user: User) -> list[int] | None:
    """The IDs of the granted grids, or ``EVERY_GRID``; looked up once per user object.

    Grid IDs (a handful, at most a few thousand for a province-wide street) are read into
    Python on purpose: given a literal list the planner sees how few grids a filter keeps and
    walks the indexes, where a nested OR of grant subqueries made it guess a third of the city
    and scan every resident.
    """
    return _grid_ids_under(user, (Grid, Community, Street), cache_key="granted_grid_ids")


#: How a grid is reached from a grant on each kind of unit.
_GRID_UNDER: dict[type[Model], str] = {
    Grid: "pk__in",
    Community: "community__in",
    Street: "community__street__in",
}


def _grid_ids_under(
    user: User, units: tuple[type[Model], ...], *, cache_key: str
) -> list[int] | None:
    """The IDs of the grids under ``user``'s grants on ``units`` (grids, communities,
    streets), or ``EVERY_GRID`` for the whole city; looked up once per user object."""
    if not user.is_active:
        return []
    if user.is_superuser or user.has_perm(CITY_PERMISSION):
        return EVERY_GRID

    def load() -> list[int]:
        return [pk for (pk,) in _run_for_user(_grids_under_query, units, user)]

    return _cached(user, cache_key, load)


def _grids_under_query(units: tuple[type[Model], ...], user_id: int) -> QuerySet[Any]:
    under = [Q(**{_GRID_UNDER[unit]: granted_units(user_id, unit).values("pk")}) for unit in units]
    return Grid.objects.filter(functools.reduce(operator.or_, under)).values_list("pk")


#: A user ID no account has: the grant queries are compiled once with it in place of the
#: reader's (``_run_for_user``).
_ANY_USER_ID = -7_000_000_001


@functools.cache
def _compiled_for_any_user(
    build: Callable[[Any, int], QuerySet[Any]], what: Any, alias: str
) -> tuple[str, tuple[Any, ...]]:
    sql, params = build(what, _ANY_USER_ID).query.get_compiler(using=alias).as_sql()
    if _ANY_USER_ID not in params:
        raise ValueError("the grant query does not name its user as a parameter")
    return sql, params


def _run_for_user(
    build: Callable[[Any, int], QuerySet[Any]], what: Any, user: User
) -> list[tuple[Any, ...]]:
    """The rows of ``build(what, user's ID)``: a grant query, the same for everyone but the
    user's ID. Compiling it through the ORM (subqueries over the user's and their groups'
    grant tables for each kind of unit) cost 5–6 ms of CPU on every request, more than
    running it; its SQL is compiled once per process and run with the reader's ID."""
    alias = router.db_for_read(Grid)
    sql, params = _compiled_for_any_user(build, what, alias)
    params = tuple(user.pk if value == _ANY_USER_ID else value for value in params)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def kept_grids(user: User) -> QuerySet[Grid]:
    """The grids ``user`` works in: a member of, or granted at grid, community or street level.
    Not the whole city's or a department's read-only view: those oversee, they do not keep.
    (An audit's sample stays secret from them until the check is finished.)"""
    if not user.is_active or not user.is_authenticated:
        return Grid.objects.none()
    return Grid.objects.filter(
        Q(members=user)
        | Q(pk__in=granted_units(user, Grid).values("pk"))
        | Q(community__in=granted_units(user, Community).values("pk"))
        | Q(community__street__in=granted_units(user, Street).values("pk"))
    )


@dataclass(frozen=True)
class _DepartmentGrant:
    pk: int
    serves_whole_city: bool
    shares_medical_history: bool


def _department_grants(user: User) -> list[_DepartmentGrant]:
    # A person works for one or two departments: loading them keeps the SQL below simple.
    def load() -> list[_DepartmentGrant]:
        rows = _run_for_user(_departments_query, (), user)
        # Raw rows: SQLite gives its booleans as 0 and 1.
        return [
            _DepartmentGrant(pk, bool(whole_city), bool(medical))
            for pk, whole_city, medical in rows
        ]

    return _cached(user, "department_grants", load)


def _departments_query(_: Any, user_id: int) -> QuerySet[Any]:
    return granted_units(user_id, Department).values_list(
        "pk", "serves_whole_city", "shares_medical_history"
    )


def _served_residents(departments: list[_DepartmentGrant], *, per_row: bool = False) -> Q | None:
    """Residents in the departments' areas carrying a tag one of them serves (a Resident Q).

    ``per_row``: the same condition for a column of a list (``with_sensitive_flags``) rather
    than a filter. As EXISTS, PostgreSQL may compute such a column by hashing every served
    resident of the city once (163,000 at a million residents: 150–270 ms) because it costs
    the column over every row in scope, not the page's 100; a scalar subquery ("the first
    served tag of this resident") is never hashed and reads the tags index for each row shown.
    """
    conditions = []
    for department in departments:
        served_tags = _ServedTag.objects.filter(department_id=department.pk).values("tag_id")
        own_served = _ResidentTag.objects.filter(resident_id=OuterRef("pk"), tag_id__in=served_tags)
        if per_row:
            condition = Q(IsNull(Subquery(own_served.values("resident_id")[:1]), False))
        else:
            condition = Q(Exists(own_served))
        if not department.serves_whole_city:
            streets = _ServedStreet.objects.filter(department_id=department.pk).values("street_id")
            condition &= Q(grid__community__street__in=streets)
        conditions.append(condition)
    return functools.reduce(operator.or_, conditions) if conditions else None


def _served_households(departments: list[_DepartmentGrant]) -> Q | None:
    """Households in the departments' areas where a resident carries a tag one of them serves
    (a Household Q): the same households as those of ``_served_residents``, read from the
    tags kept on households (``HouseholdTag``). Through the residents, a department's count
    hashed every resident it serves (163,000 at a million: 0.4 s)."""
    conditions = []
    for department in departments:
        served_tags = _ServedTag.objects.filter(department_id=department.pk).values("tag_id")
        kept = HouseholdTag.objects.filter(tag_id__in=served_tags)
        condition = Q(pk__in=kept.values("household_id"))
        if not department.serves_whole_city:
            streets = _ServedStreet.objects.filter(department_id=department.pk).values("street_id")
            condition &= Q(building__grid__community__street__in=streets)
        conditions.append(condition)
    return functools.reduce(operator.or_, conditions) if conditions else None


def _department_area(model: type[Model], departments: list[_DepartmentGrant]) -> Q:
    """The grids, communities or streets of the departments' areas."""
    if any(d.serves_whole_city for d in departments):
        return _EVERY_ROW
    streets = _ServedStreet.objects.filter(department_id__in=[d.pk for d in departments])
    street_ids = streets.values("street_id")
    if model is Street:
        return Q(pk__in=street_ids)
    if model is Community:
        return Q(street__in=street_ids)
    return Q(community__street__in=street_ids)


# Which rows ------------------------------------------------------------------------------------


def _grid_scope(model: type[Model], grid_ids: list[int] | None) -> Q:
    """Rows of ``model`` in the given grids (``EVERY_GRID``: no filter at all)."""
    if grid_ids is EVERY_GRID:
        return Q()
    if model in GRID_PATHS:
        return Q(**{f"{GRID_PATHS[model]}__in": grid_ids})
    if model is Grid:
        return Q(pk__in=grid_ids)
    grids = Grid.objects.filter(pk__in=grid_ids)
    if model is Community:
        return Q(pk__in=grids.values("community_id"))
    if model is Street:
        return Q(pk__in=grids.values("community__street_id"))
    raise TypeError(f"{model.__name__} is not reached through grids")


def _grids_walked(grid_ids: list[int]) -> Q:
    """Residents in the given grids, for a list whose own filter keeps few of them (a tag's):
    the same rows as ``_grid_scope``, named through the grids table. The list is sorted by its
    grid's code first; a list of grid IDs on the resident made PostgreSQL read all of a street's
    50,000 residents and hash them with the tag's 20,000 before sorting (23-31 ms at a million
    residents), where this lets it walk the street's grids in code order and stop at a page of
    tagged residents (7-8 ms)."""
    return Q(grid__in=Grid.objects.filter(pk__in=grid_ids).values("pk"))


#: A condition every row meets. Not ``Q()``: an empty Q is false in a truth test, so a
#: department serving the whole city (no streets listed) read as one that sees nothing.
_EVERY_ROW = ~Q(pk__in=[])


def _department_scope(
    model: type[Model], departments: list[_DepartmentGrant], *, per_row: bool = False
) -> Q | None:
    """What department grants show of ``model``: served residents, where they live, the area.

    ``per_row`` (residents only): the list's own filter already keeps few of them (a tag's), so
    the served condition is checked for each of those instead of hashing every resident the
    departments serve first (160,000 at a million, spilling to disk: a tag's list took 1.1 s,
    0.7 s this way). The rows are the same either way."""
    if model is Resident:
        return _served_residents(departments, per_row=per_row)
    if model is Household:
        return _served_households(departments)
    if model is Building:
        households = _served_households(departments)
        if households is None:
            return None
        return Q(pk__in=Household.objects.filter(households).values("building_id"))
    if not departments:
        return None
    if model in (Grid, Community, Street):
        return _department_area(model, departments)
    return None  # visits are the grid members' own work, not a department's


def served_tags_only(user: User) -> list[int] | None:
    """When all ``user`` sees of the residents (``restrict(..., VIEW)``) is those carrying a tag
    their departments serve across the whole city — department grants only, each serving the
    whole city; no area grant, not the whole city — those tags' IDs; otherwise None.

    A list can then count its residents from the tags table alone (``resident_tags_count``):
    counting through the residents table read all million of them (280 ms for a department's
    163,000 residents at a million)."""
    if not user.is_active or user.is_superuser:
        return None
    if not user.has_perm(permission_name(Resident, VIEW)):
        return None
    if _granted_grid_ids(user) is EVERY_GRID or _granted_grid_ids(user):
        return None
    departments = _department_grants(user)
    if not departments or not all(d.serves_whole_city for d in departments):
        return None

    def load() -> list[int]:
        served = _ServedTag.objects.filter(department_id__in=[d.pk for d in departments])
        return sorted(set(served.values_list("tag_id", flat=True)))

    # Asked for the list's rows and again for its count.
    return _cached(user, "served_tags_only", load)


def sees_every_carrier(user: User, tag_ids: Iterable[int]) -> bool:
    """Whether every resident carrying one of ``tag_ids`` is one ``user`` may view
    (``restrict(..., VIEW)``): administrators and the whole city see every resident; staff whose
    whole view is the tags their departments serve across the city (``served_tags_only``) see
    every carrier of a tag they serve.

    A list filtered to those tags is then exactly their carriers: the scope adds nothing to the
    filter, yet a department's check per row made PostgreSQL join and sort all 20,000 carriers
    of a tag for a page of 100 (207 ms at a million residents; 8 ms without it), and such a list
    can be counted from the tags table (``resident_tags_count``)."""
    wanted = set(tag_ids)
    if not wanted or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(permission_name(Resident, VIEW)):
        return False
    if _granted_grid_ids(user) is EVERY_GRID:
        return True
    served = served_tags_only(user)
    return served is not None and wanted <= set(served)


def sees_whole_grids(user: User) -> bool:
    """Whether what ``user`` sees of households, residents and visits (``restrict(..., VIEW)``)
    is every row of the grids they see and nothing else: administrators, the whole city, and
    grants on streets, communities or grids without a department grant (which shows the
    residents its departments serve, row by row). Figures kept per grid for the whole city then
    add up to theirs over ``restrict(Grid.objects.all(), user)``."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not all(user.has_perm(permission_name(m, VIEW)) for m in (Household, Resident, Visit)):
        return False
    return _granted_grid_ids(user) is EVERY_GRID or not _department_grants(user)


def resident_tags_count(tag_ids: list[int]) -> int:
    """How many residents carry one of ``tag_ids``, from the tags table (its index
    ``resident_tag_residents``) without reading a resident."""
    tagged = _ResidentTag.objects.filter(tag_id__in=tag_ids)
    # COUNT(DISTINCT …) over the index in tag order: SELECT DISTINCT in a subquery made
    # PostgreSQL walk the whole (resident, tag) index instead (99 ms against 55).
    counted: int = tagged.aggregate(residents=Count("resident_id", distinct=True))["residents"]
    return counted


def household_tags_count(tag_ids: list[int]) -> int:
    """How many households have a resident carrying one of ``tag_ids``, from the tags kept on
    households (its index ``household_tag_unique``, tag then household) without reading a
    household: what a department serving the whole city sees of them
    (``served_tags_only``). Through the households table, the same count hashed all of them."""
    kept = HouseholdTag.objects.filter(tag_id__in=tag_ids)
    counted: int = kept.aggregate(households=Count("household_id", distinct=True))["households"]
    return counted


def _scope(model: type[Model], user: User, action: str, *, per_row: bool = False) -> Q:
    if model is Department:
        if user.has_perm(CITY_PERMISSION):
            return Q()
        return Q(pk__in=granted_units(user, Department).values("pk"))
    grid_ids = _granted_grid_ids(user)
    if grid_ids is EVERY_GRID:
        return Q()
    # Only the parts that apply: a filter on no grids would still join the tables to reach
    # them, and a department's count would pay for those joins over every resident it serves.
    parts = [_grid_scope(model, grid_ids)] if grid_ids else []
    if per_row and grid_ids and model is Resident:
        parts = [_grids_walked(grid_ids)]
    departments = _department_grants(user) if action == VIEW else []
    if department_scope := _department_scope(model, departments, per_row=per_row):
        parts.append(department_scope)
    return functools.reduce(operator.or_, parts) if parts else Q(pk__in=[])


def restrict(
    queryset: QuerySet[M], user: User, action: str = VIEW, *, narrowed: bool = False
) -> QuerySet[M]:
    """``queryset`` narrowed to the rows ``user`` may ``action``: role and grants together.

    ``narrowed``: the caller filters the rows down to a few with an index of their own (a
    resident list filtered by a tag), so conditions that would otherwise be computed for the
    whole city at once are checked row by row, and the grids are named through the grids table
    (``_grids_walked``). Which rows are kept does not change."""
    model = queryset.model
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not user.has_perm(permission_name(model, action)):
        return queryset.none()
    return queryset.filter(_scope(model, user, action, per_row=narrowed))


def may(user: User, action: str, obj: Model) -> bool:
    """Whether ``user`` may ``action`` the stored ``obj`` (as it is in the database)."""
    if obj.pk is None:
        return False
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


# Writes ----------------------------------------------------------------------------------------


def may_delete_residents(user: User) -> bool:
    """Whether ``user`` may remove resident files outright: administrators only. In normal
    work a resident moves out or dies and the file stays; the history keeps a removed one."""
    return user.is_active and user.is_superuser


def _grid_of(obj: Model) -> QuerySet[Any, Any] | int | None:
    """The grid an unsaved or edited archive row would sit in, from its in-memory foreign key."""
    if isinstance(obj, Building):
        return obj.grid_id
    if isinstance(obj, Household):
        return Building.objects.filter(pk=obj.building_id).values("grid_id")
    if isinstance(obj, Resident | Visit):
        return Household.objects.filter(pk=obj.household_id).values("building__grid_id")
    raise TypeError(f"{type(obj).__name__} is not an archive row")


def may_place(user: User, action: str, obj: Model) -> bool:
    """Whether ``obj`` as it is in memory (a form's new values) lies where ``user`` may
    ``action`` it: a clerk cannot create a row in, or move one to, a grid outside their grants.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(permission_name(type(obj), action)):
        return False
    grid = _grid_of(obj)
    if grid is None:
        return False
    lookup = {"pk__in": grid} if isinstance(grid, QuerySet) else {"pk": grid}
    return granted_grids(user).filter(**lookup).exists()


#: How many IDs one bulk scope question sends to the database at a time.
_BULK_CHUNK = 5000


def may_all(user: User, action: str, model: type[Model], pks: Iterable[int]) -> bool:
    """``may`` for many stored rows of ``model`` at once (a bulk write): whether ``user`` may
    ``action`` every one of ``pks``, in a query per few thousand rows.

    The system account, which commands act as (seeding, the benchmark), may: whoever runs a
    command on the server already holds the whole database (as for ``may_report``).
    """
    if is_system_account(user):
        return True
    wanted = sorted(set(pks))
    for start in range(0, len(wanted), _BULK_CHUNK):
        chunk = wanted[start : start + _BULK_CHUNK]
        rows = restrict(model._default_manager.filter(pk__in=chunk), user, action)
        if rows.count() != len(chunk):
            return False
    return True


def may_place_all(user: User, action: str, rows: Iterable[Model]) -> bool:
    """``may_place`` for many rows of one model at once (imports, seeding): whether every row
    as it is in memory lies where ``user`` may ``action`` it, in a query per few thousand of the
    rows they hang from. Rows outside the grids (org units, tags) need the role's permission
    only, as their admin pages ask. The system account may, as for ``may_all``.
    """
    rows = list(rows)
    if not rows or is_system_account(user):
        return True
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    model = type(rows[0])
    if not user.has_perm(permission_name(model, action)):
        return False
    if model not in GRID_PATHS:
        return True
    grids = _grids_of(rows)
    if grids is None:
        return False
    granted = _granted_grid_ids(user)
    return granted is EVERY_GRID or grids <= set(granted)


#: For each archive model: the model its rows hang from (None: they hang from a grid), the
#: path from that model to its grid, and the attribute holding the parent's ID.
_PARENT_OF: dict[type[Model], tuple[type[Model] | None, str, str]] = {
    Building: (None, "", "grid_id"),
    Household: (Building, "grid_id", "building_id"),
    Resident: (Household, "building__grid_id", "household_id"),
    Visit: (Household, "building__grid_id", "household_id"),
}


def _grids_of(rows: list[Model]) -> set[int] | None:
    """The grids archive rows in memory would sit in (``_grid_of`` for many rows), or None
    when one of them hangs from nothing stored."""
    model = type(rows[0])
    if model not in _PARENT_OF:
        raise TypeError(f"{model.__name__} is not an archive row")
    parents, to_grid, parent_key = _PARENT_OF[model]
    parent_ids = {getattr(row, parent_key) for row in rows}
    if None in parent_ids:
        return None
    if parents is None:
        return parent_ids
    wanted = sorted(parent_ids)
    grids: set[int] = set()
    for start in range(0, len(wanted), _BULK_CHUNK):
        chunk = wanted[start : start + _BULK_CHUNK]
        found = dict(parents._default_manager.filter(pk__in=chunk).values_list("pk", to_grid))
        if len(found) != len(chunk):
            return None
        grids.update(found.values())
    return grids


def writable(queryset: QuerySet[M], user: User, *, for_model: type[Model]) -> QuerySet[M]:
    """Rows of ``queryset`` (grids or archive rows) that a ``for_model`` row being added or
    changed by ``user`` may point to: the choices its form offers.
    """
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not (
        user.has_perm(permission_name(for_model, ADD))
        or user.has_perm(permission_name(for_model, CHANGE))
    ):
        return queryset.none()
    return queryset.filter(_grid_scope(queryset.model, _granted_grid_ids(user)))


# Sensitive fields ------------------------------------------------------------------------------


def mask_id_number(id_number: str) -> str:
    """The first 6 (region) and last 4 characters; the birth date in between is hidden."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def masked_value(field: str, value: T, hidden: set[str]) -> T | str:
    """``value`` of the resident field ``field`` as someone who may not read ``hidden`` sees it,
    wherever it is shown (file, history, audit findings): the ID number masked, any other
    hidden field replaced by "(hidden)"."""
    if field not in hidden or value in (None, ""):
        return value
    if field == ID_NUMBER:
        return mask_id_number(str(value))
    return _("(hidden)")


def _sensitive_condition(user: User, field: str) -> Q | bool:
    if user.is_superuser:
        return user.is_active
    if not user.is_active or not user.has_perm(SENSITIVE_PERMISSIONS[field]):
        return False
    grid_ids = _granted_grid_ids(user)
    if grid_ids is EVERY_GRID:
        return True
    conditions = [_grid_scope(Resident, grid_ids)] if grid_ids else []
    if field == MEDICAL_HISTORY:
        sharing = [d for d in _department_grants(user) if d.shares_medical_history]
        if served := _served_residents(sharing, per_row=True):
            conditions.append(served)
    return functools.reduce(operator.or_, conditions) if conditions else False


def hidden_fields(user: User, resident: Resident) -> set[str]:
    """The resident's fields ``user`` may not read in full: the ID number with the birth date
    (digits 7-14 of it: with the masked number's ends it would give the whole number back),
    and the medical history.

    Uses the flags of ``with_sensitive_flags`` when the resident was loaded with them.
    """
    sensitive = {ID_NUMBER, MEDICAL_HISTORY}
    if hasattr(resident, "shows_id_number"):
        hidden = {field for field in sensitive if not getattr(resident, f"shows_{field}")}
    else:
        hidden = sensitive - sensitive_fields_shown(user, resident)
    if ID_NUMBER in hidden:
        hidden.add("birth_date")
    return hidden


def grids_showing(user: User, field: str, grid_ids: set[int]) -> set[int]:
    """Of ``grid_ids``, the grids in which ``user`` may read ``field`` (ID_NUMBER or
    MEDICAL_HISTORY) in full by an org grant: for rows not stored yet, such as an import's
    preview. A department's sharing is not counted: it follows tags, which such rows may lack."""
    if user.is_superuser:
        return set(grid_ids) if user.is_active else set()
    if not user.is_active or not user.has_perm(SENSITIVE_PERMISSIONS[field]):
        return set()
    granted = _granted_grid_ids(user)
    if granted is EVERY_GRID:
        return set(grid_ids)
    return set(grid_ids) & set(granted or ())


class SensitiveFlags(TypedDict):
    """What ``with_sensitive_flags`` adds to each resident row."""

    shows_id_number: bool
    shows_medical_history: bool


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    #: A resident row read through ``with_sensitive_flags``.
    FlaggedResident = WithAnnotations[Resident, SensitiveFlags]
else:
    FlaggedResident = Resident


def with_sensitive_flags(queryset: QuerySet[Resident], user: User) -> QuerySet[FlaggedResident]:
    """Residents annotated with ``shows_id_number`` and ``shows_medical_history`` per row."""

    def flag(field: str) -> "Value | ExpressionWrapper[Any]":
        condition = _sensitive_condition(user, field)
        if isinstance(condition, bool):
            return Value(condition)
        return ExpressionWrapper(condition, output_field=BooleanField())

    return queryset.annotate(
        shows_id_number=flag(ID_NUMBER), shows_medical_history=flag(MEDICAL_HISTORY)
    )


def sensitive_fields_shown(user: User, resident: Resident) -> frozenset[str]:
    """Which of the resident's sensitive fields ``user`` may read in full."""
    if resident.pk is None:
        return frozenset()
    flags = (
        with_sensitive_flags(restrict(Resident.objects.filter(pk=resident.pk), user), user)
        .values("shows_id_number", "shows_medical_history")
        .first()
    )
    if flags is None:
        return frozenset()
    return frozenset(field for field in (ID_NUMBER, MEDICAL_HISTORY) if flags[f"shows_{field}"])


# What a list may be asked ---------------------------------------------------------------------

#: Resident fields that not everyone reads in full, and the sensitive field deciding each (the
#: birth date is digits 7-14 of the ID number).
HIDDEN_RESIDENT_FIELDS = {
    ID_NUMBER: ID_NUMBER,
    "birth_date": ID_NUMBER,
    MEDICAL_HISTORY: MEDICAL_HISTORY,
}


def reads_everywhere(user: User, field: str) -> bool:
    """Whether ``user`` reads ``field`` of every resident they may see in full, so that a list
    filtered, sorted or searched on it tells them nothing they could not read on the page.

    Rows shown through a department grant keep the ID number masked (and the medical history,
    unless the department shares it), so anyone holding such a grant does not.
    """
    sensitive = HIDDEN_RESIDENT_FIELDS.get(field, field)
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(SENSITIVE_PERMISSIONS[sensitive]):
        return False
    departments = _department_grants(user)
    if sensitive == ID_NUMBER:
        return not departments
    return all(d.shares_medical_history for d in departments)


def touches_hidden_field(user: User, model: type[Model], path: str) -> bool:
    """Whether the lookup or ordering ``path`` on ``model`` (``household__residents__id_number``,
    ``-resident__birth_date``) reaches a resident field that ``user`` does not read everywhere.
    Walks the relations as the ORM would; the first part that is not a field ends the walk
    (a lookup such as ``exact``, or a filter's own parameter name)."""
    current: Any = model  # a model class; ``related_model`` may also name one as a string
    for part in path.lstrip("-").split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup such as "exact", or a filter's own name
            return False
        sensitive = part in HIDDEN_RESIDENT_FIELDS and _is_resident_model(current)
        if sensitive and not reads_everywhere(user, part):
            return True
        if not field.is_relation or field.related_model is None:
            return False
        current = field.related_model
    return False


def _is_resident_model(model: type[Model]) -> bool:
    # The history table holds the same values as the file (audits point at it).
    return model is Resident or model is Resident.history.model


def lookup_allowed(user: User, model: type[Model], path: str, *, declared: Iterable[str]) -> bool:
    """Whether ``user`` may filter, sort or search a list of ``model`` by ``path``, a query-string
    parameter (``residency_status__exact``, ``grid``), a sortable column's field or a search
    field: only what the list ``declared`` (its filters' parameters, its sortable columns and
    its search fields), and nothing that touches a field hidden from ``user``.

    Django's admin accepts any lookup on a model's own columns; with it
    ``?id_number=…`` answered yes or no, and ``?birth_date__lte=…`` halved its way to a birth
    date that the masked ID number was hiding.
    """
    if path.lstrip("-") not in set(declared):
        return False
    return not touches_hidden_field(user, model, path)


# The authentication backend's question ---------------------------------------------------------


def has_object_permission(user: User, perm: str, obj: Model) -> bool:
    """``user.has_perm(perm, obj)`` for archive rows and org units, e.g.
    ``archives.change_resident`` or ``archives.view_resident_id_number`` on a resident.
    """
    if not isinstance(obj, SCOPED_MODELS):
        return False
    app_label, _dot, codename = perm.partition(".")
    model = type(obj)
    if app_label != model._meta.app_label:
        return False
    for action in ACTIONS:
        if codename == f"{action}_{model._meta.model_name}":
            return may(user, action, obj)
    for field, sensitive_perm in SENSITIVE_PERMISSIONS.items():
        if perm == sensitive_perm and isinstance(obj, Resident):
            return field in sensitive_fields_shown(user, obj)
    return False


# Who can see an org unit -----------------------------------------------------------------------


def _units_covering(unit: Model) -> list[Model]:
    """The unit and the units above it, whose grants all cover it."""
    if isinstance(unit, Grid):
        return [unit, unit.community, unit.community.street]
    if isinstance(unit, Community):
        return [unit, unit.street]
    return [unit]


def who_can_see(unit: Model) -> list[tuple[str, str]]:
    """(who, through what) for everyone whose grants reach ``unit``, for its admin page.

    Administrators (superusers) see everything and are not listed.
    """
    rows: list[tuple[str, str]] = []
    for covering in _units_covering(unit):
        user_table, group_table = _GRANT_TABLES[type(covering)]
        codename = grant_codename(type(covering))
        through = _("grant on %(unit)s %(name)s") % {
            "unit": covering._meta.verbose_name,
            "name": covering,
        }
        grants = user_table.objects.filter(content_object=covering, permission__codename=codename)
        rows += [(user.get_username(), through) for user in _users(grants)]
        group_grants = group_table.objects.filter(
            content_object=covering, permission__codename=codename
        )
        groups = Group.objects.filter(pk__in=group_grants.values("group_id")).order_by("name")
        rows += [(_("group %(name)s") % {"name": group.name}, through) for group in groups]
    if isinstance(unit, Department):
        return rows
    app_label, codename = CITY_PERMISSION.split(".")
    city = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    city_users = get_user_model().objects.filter(
        Q(user_permissions__in=city) | Q(groups__permissions__in=city), is_active=True
    )
    rows += [(user.get_username(), _("the whole city")) for user in city_users.distinct()]
    street = _units_covering(unit)[-1]
    departments = Department.objects.filter(Q(serves_whole_city=True) | Q(streets=street))
    for department in departments.distinct():
        rows.append(
            (
                _("staff of %(department)s") % {"department": department},
                _("residents with the tags it serves, read-only"),
            )
        )
    return rows


def _users(grants: QuerySet[Any]) -> QuerySet[Any]:
    users = get_user_model().objects.filter(pk__in=grants.values("user_id"), is_active=True)
    return users.order_by(get_user_model().USERNAME_FIELD)


# Records of a person's own work in a grid ----------------------------------------------------
# Higher apps (patrols) keep records that belong to one person and lie in one grid: a patrol
# round. They pass in the paths to the person and the grid; this module answers who sees them.


def _overseen_grid_ids(user: User) -> list[int] | None:
    """The grids ``user`` oversees: those under their community and street grants, or
    ``EVERY_GRID`` for the whole city. Grid grants are not oversight: they are a grid member's
    own grid, where colleagues do not watch each other."""
    return _grid_ids_under(user, (Community, Street), cache_key="overseen_grid_ids")


def restrict_own_work(
    queryset: QuerySet[M], user: User, *, person_path: str, grid_path: str, action: str = VIEW
) -> QuerySet[M]:
    """Rows of a record of someone's own work (``person_path`` names the person,
    ``grid_path`` the grid): one's own, and every row in the grids one oversees (community,
    street, whole city). Department grants show none; the role's permission on the model is
    needed as for any model."""
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not user.has_perm(permission_name(queryset.model, action)):
        return queryset.none()
    overseen = _overseen_grid_ids(user)
    if overseen is EVERY_GRID:
        return queryset
    own = Q(**{person_path: user.pk})
    return queryset.filter(own | Q(**{f"{grid_path}__in": overseen}) if overseen else own)


def grids_to_work_in(user: User, *, permission: str) -> QuerySet[Grid]:
    """The grids where ``user`` may do what ``permission`` allows (start a patrol round, say):
    those their grid, community or street grants cover. Being listed among a grid's members
    without a grant there is not enough: such a member may not even see the grid's name."""
    if not user.is_active or not user.has_perm(permission):
        return Grid.objects.none()
    return granted_grids(user)


def may_work_in(user: User, grid: Grid, *, permission: str) -> bool:
    """Whether ``grid`` is one of ``grids_to_work_in(user, permission=permission)``."""
    return grids_to_work_in(user, permission=permission).filter(pk=grid.pk).exists()


# Work of a community ------------------------------------------------------------------------
# Higher apps (wishes) keep records that belong to a community rather than a grid: a resident's
# micro-wish, a volunteer registered there. They pass in the path to the community, and what
# else a person sees of them (the open wishes offered to every claimer, one's own claims).

#: ``communities_overseen`` for the whole city.
EVERY_COMMUNITY = None


def _community_ids(user: User) -> list[int] | None:
    """The communities under ``user``'s community and street grants, or ``EVERY_COMMUNITY``.
    Grid and department grants are not a community's work."""
    if not user.is_active:
        return []
    if user.is_superuser or user.has_perm(CITY_PERMISSION):
        return EVERY_COMMUNITY

    def load() -> list[int]:
        communities = Community.objects.filter(
            Q(pk__in=granted_units(user, Community).values("pk"))
            | Q(street__in=granted_units(user, Street).values("pk"))
        )
        return list(communities.values_list("pk", flat=True))

    return _cached(user, "community_ids", load)


def restrict_community_work(
    queryset: QuerySet[M],
    user: User,
    *,
    community_path: str,
    offered: Q | None = None,
    offered_permission: str | None = None,
    own: Q | None = None,
    action: str = VIEW,
) -> QuerySet[M]:
    """Rows of a community's work (``community_path`` names the community): those of the
    communities one's community and street grants cover, every row for the whole city; and,
    where the higher app says so, the rows ``offered`` to everyone holding
    ``offered_permission`` (open wishes on the board) and one's ``own`` rows (one's claims).
    The role's permission on the model is needed as for any model."""
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not user.has_perm(permission_name(queryset.model, action)):
        return queryset.none()
    community_ids = _community_ids(user)
    if community_ids is EVERY_COMMUNITY:
        return queryset
    parts = [Q(**{f"{community_path}__in": community_ids})] if community_ids else []
    if offered is not None and offered_permission and user.has_perm(offered_permission):
        parts.append(offered)
    if own is not None:
        parts.append(own)
    if not parts:
        return queryset.none()
    return queryset.filter(functools.reduce(operator.or_, parts))


def communities_to_work_in(user: User, *, permission: str) -> QuerySet[Community]:
    """The communities where ``user`` may do what ``permission`` allows (post a wish, approve
    a volunteer): those their community and street grants cover, or every one for the whole
    city."""
    if not user.is_active or not user.has_perm(permission):
        return Community.objects.none()
    community_ids = _community_ids(user)
    if community_ids is EVERY_COMMUNITY:
        return Community.objects.all()
    return Community.objects.filter(pk__in=community_ids)


def works_in_some_community(user: User, *, permission: str) -> bool:
    """Whether ``communities_to_work_in(user, permission=…)`` holds any community, from the
    IDs already looked up for the request (the admin asks it on every page, for its menus)."""
    if not user.is_active or not user.has_perm(permission):
        return False
    return _community_ids(user) is EVERY_COMMUNITY or bool(_community_ids(user))


def may_work_in_community(user: User, community: Community, *, permission: str) -> bool:
    """Whether ``community`` is one of ``communities_to_work_in(user, permission=…)``."""
    return communities_to_work_in(user, permission=permission).filter(pk=community.pk).exists()


# Work passed between levels ---------------------------------------------------------------
# Higher apps (events) keep records that lie in a grid and can be passed to a department. They
# pass in the paths; this module answers who sees them and who may act for a department.


def restrict_passed_work(
    queryset: QuerySet[M],
    user: User,
    *,
    grid_path: str,
    passed_to: Callable[[list[int]], QuerySet[Any]],
    inspected: Q,
    action: str = VIEW,
) -> QuerySet[M]:
    """Rows of work lying in a grid (``grid_path``) that can be passed to departments: those in
    the grids one's grid, community and street grants cover, and those passed to one's
    departments (``passed_to(department_ids)`` gives the rows' keys, read from the table that
    records the passing — never joined back to the rows themselves, which made a department's
    list four times slower at 100,000 events; a row passed once stays seen). The inspection
    office's staff see the rows ``inspected`` (escalated to it); the whole city sees everything.
    The role's permission on the model is needed as for any model."""
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not user.has_perm(permission_name(queryset.model, action)):
        return queryset.none()
    grid_ids = _granted_grid_ids(user)
    if grid_ids is EVERY_GRID:
        return queryset
    parts = [Q(**{f"{grid_path}__in": grid_ids})] if grid_ids else []
    departments = _department_grants(user)
    if departments:
        parts.append(Q(pk__in=passed_to([d.pk for d in departments])))
        if Department.objects.filter(
            pk__in=[d.pk for d in departments], is_inspection_office=True
        ).exists():
            parts.append(inspected)
    if not parts:
        return queryset.none()
    return queryset.filter(functools.reduce(operator.or_, parts))


def passed_work_departments_only(
    user: User, model: type[Model], action: str = VIEW
) -> list[int] | None:
    """When all ``user`` sees of ``model``'s passed work (``restrict_passed_work``) is what was
    passed to their departments — no area grant, not the whole city, not the inspection office —
    those departments' IDs; otherwise None. A list can then count its rows from the table that
    records the passing alone (a department's events: 4 ms instead of 19 at 100,000 events)."""
    if not user.is_active or user.is_superuser:
        return None
    if not user.has_perm(permission_name(model, action)):
        return None
    grid_ids = _granted_grid_ids(user)
    if grid_ids is EVERY_GRID or grid_ids:
        return None
    department_ids = [d.pk for d in _department_grants(user)]
    if not department_ids:
        return None
    if Department.objects.filter(pk__in=department_ids, is_inspection_office=True).exists():
        return None
    return department_ids


def departments_to_work_for(user: User, *, permission: str) -> QuerySet[Department]:
    """The departments ``user`` may do what ``permission`` allows for (accept an event passed
    to one): those they hold a department grant on."""
    if not user.is_active or not user.has_perm(permission):
        return Department.objects.none()
    return granted_units(user, Department)


def may_work_for(user: User, department: Department, *, permission: str) -> bool:
    """Whether ``department`` is one of ``departments_to_work_for(user, permission=…)``."""
    return departments_to_work_for(user, permission=permission).filter(pk=department.pk).exists()


# Monthly reports -------------------------------------------------------------------------------
# The reports are the exports app's, above this one: it passes in the permission it asks for
# (to download, or to publish and correct), and this module answers for which streets.

#: ``report_streets`` for someone who may have every street's report and the city's.
EVERY_STREET = None


def report_streets(user: User) -> list[int] | None:
    """The streets whose monthly reports ``user``'s grants reach, or ``EVERY_STREET`` (which
    includes the city report): a street grant gives that street's; the whole city, or a
    department serving the whole city, gives all; a department gives the streets it serves.
    Community and grid grants give none: the report assesses a street's grids together.
    """
    if not user.is_active:
        return []
    if user.is_superuser or user.has_perm(CITY_PERMISSION):
        return EVERY_STREET

    def load() -> list[int] | None:
        departments = _department_grants(user)
        if any(d.serves_whole_city for d in departments):
            return EVERY_STREET
        streets = set(granted_units(user, Street).values_list("pk", flat=True))
        served = _ServedStreet.objects.filter(department_id__in=[d.pk for d in departments])
        streets.update(served.values_list("street_id", flat=True))
        return sorted(streets)

    return _cached(user, "report_streets", load)


def may_report(user: User, street: Street | None, *, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (to download, or to publish and correct, a
    report) for the report of ``street`` (``None``: the whole city).

    The system account (inactive, no password) is what ``manage.py monthly_report`` acts as:
    whoever runs a command on the server already holds the whole database.
    """
    if is_system_account(user):
        return True
    if not user.is_active or not user.has_perm(permission):
        return False
    allowed = report_streets(user)
    if allowed is EVERY_STREET:
        return True
    return street is not None and street.pk in allowed


def restrict_reports(queryset: QuerySet[M], user: User, *, permission: str) -> QuerySet[M]:
    """Monthly reports (or their downloads) of the scopes where ``user`` holds ``permission``
    (to see them)."""
    if not user.is_active or not user.has_perm(permission):
        return queryset.none()
    allowed = report_streets(user)
    if allowed is EVERY_STREET:
        return queryset
    return queryset.filter(street__in=allowed)
