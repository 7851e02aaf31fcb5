"""Writes to the resident archive: admin, commands and tests call these, never a bare save().

Each write re-checks scope on the server, whatever a form offered: the stored row must be one the
actor may change, and the row as it will be saved must lie in a grid they may write to.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from archives import scope
from archives.models import Building, Household, Resident, Visit


def _check_scope(*, row: models.Model, actor: AbstractBaseUser) -> None:
    adding = row._state.adding
    if not adding and not scope.may(actor, scope.CHANGE, row):
        raise PermissionDenied(_("You may not change this record."))
    if not scope.may_place(actor, scope.ADD if adding else scope.CHANGE, row):
        raise PermissionDenied(_("This record would be in a grid you do not work in."))


def _save(*, row: models.Model, actor: AbstractBaseUser) -> None:
    _check_scope(row=row, actor=actor)
    row.full_clean()
    row.save()


@transaction.atomic
def building_save(*, building: Building, actor: AbstractBaseUser) -> Building:
    """Create or update ``building`` for ``actor``, within their grids."""
    _save(row=building, actor=actor)
    return building


@transaction.atomic
def household_save(*, household: Household, actor: AbstractBaseUser) -> Household:
    """Create or update ``household`` for ``actor``, within their grids."""
    _save(row=household, actor=actor)
    return household


@transaction.atomic
def resident_save(*, resident: Resident, actor: AbstractBaseUser) -> Resident:
    """Create or update ``resident`` for ``actor`` after validating it completely, constraints
    included. Tags are set by the caller afterwards (a many-to-many needs the saved row).
    """
    _save(row=resident, actor=actor)
    return resident


@transaction.atomic
def visit_save(*, visit: Visit, actor: AbstractBaseUser) -> Visit:
    """Record or correct ``visit`` for ``actor``, within their grids."""
    _save(row=visit, actor=actor)
    return visit
