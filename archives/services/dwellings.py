"""Writes of buildings and households, one at a time."""

from django.db import transaction

from accounts.types import Actor
from archives.models import (
    Building,
    Household,
)
from archives.services._base import _save


@transaction.atomic
def building_save(*, building: Building, actor: Actor, reason: str = "") -> Building:
    """Create or update ``building`` for ``actor``, within their grids."""
    _save(row=building, actor=actor, reason=reason)
    return building


@transaction.atomic
def household_save(*, household: Household, actor: Actor, reason: str = "") -> Household:
    """Create or update ``household`` for ``actor``, within their grids."""
    _save(row=household, actor=actor, reason=reason)
    return household
