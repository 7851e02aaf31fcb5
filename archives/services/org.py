"""Writes of the org hierarchy (streets, communities, grids, departments) and tags, each
checked against what the actor may change."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.models import (
    Community,
    Department,
    Grid,
    Street,
    Tag,
)
from archives.services._base import _recorded_save


def _check_unit_scope(*, unit: models.Model, actor: Actor) -> None:
    """What the org admin pages ask: a stored street, community, grid or department must be one
    the actor's grants reach with change rights (``scope.may``); a new one, or any tag, needs
    the role's permission."""
    model = type(unit)
    if unit._state.adding or model not in scope.ORG_UNITS:
        action = scope.ADD if unit._state.adding else scope.CHANGE
        allowed = actor.has_perm(scope.permission_name(model, action))
    else:
        allowed = scope.may(actor, scope.CHANGE, unit)
    if not allowed:
        raise PermissionDenied(_("You may not change this record."))


def _unit_save(*, unit: models.Model, actor: Actor, reason: str) -> None:
    # Saved even when nothing changed, as the admin pages always saved units.
    _check_unit_scope(unit=unit, actor=actor)
    _recorded_save(row=unit, actor=actor, reason=reason)


@transaction.atomic
def street_save(*, street: Street, actor: Actor, reason: str = "") -> Street:
    """Create or update ``street`` for ``actor``."""
    _unit_save(unit=street, actor=actor, reason=reason)
    return street


@transaction.atomic
def community_save(*, community: Community, actor: Actor, reason: str = "") -> Community:
    """Create or update ``community`` for ``actor``."""
    _unit_save(unit=community, actor=actor, reason=reason)
    return community


@transaction.atomic
def grid_save(
    *,
    grid: Grid,
    actor: Actor,
    reason: str = "",
    members: Iterable[Actor] | None = None,
) -> Grid:
    """Create or update ``grid`` for ``actor``, and its members when given (not historied)."""
    _unit_save(unit=grid, actor=actor, reason=reason)
    if members is not None:
        grid.members.set(members)
    return grid


@transaction.atomic
def department_save(
    *,
    department: Department,
    actor: Actor,
    reason: str = "",
    served_tags: Iterable[Tag] | None = None,
    streets: Iterable[Street] | None = None,
) -> Department:
    """Create or update ``department`` for ``actor``, and the tags and streets it serves when
    given (not historied)."""
    _unit_save(unit=department, actor=actor, reason=reason)
    if served_tags is not None:
        department.served_tags.set(served_tags)
    if streets is not None:
        department.streets.set(streets)
    return department


@transaction.atomic
def tag_save(*, tag: Tag, actor: Actor, reason: str = "") -> Tag:
    """Create or update ``tag`` for ``actor``."""
    _unit_save(unit=tag, actor=actor, reason=reason)
    return tag
