"""Writes of buildings and households, one at a time."""

from django.db import transaction

from accounts.types import Actor
from archives.models import (
    Building,
    Household,
)
from archives.services._base import _save
from archives.services.grid_keys import grid_keys_refresh


@transaction.atomic
def building_save(*, building: Building, actor: Actor, reason: str = "") -> Building:
    """Create or update ``building`` for ``actor``, within their grids. Moved to another
    grid, it takes its residents and visits along (their ``grid``)."""
    _save(row=building, actor=actor, reason=reason)
    grid_keys_refresh(households=Household.objects.filter(building=building.pk))
    return building


@transaction.atomic
def household_save(*, household: Household, actor: Actor, reason: str = "") -> Household:
    """Create or update ``household`` for ``actor``, within their grids. Moved to a building
    in another grid, it takes its residents and visits along (their ``grid``)."""
    _save(row=household, actor=actor, reason=reason)
    grid_keys_refresh(households=Household.objects.filter(pk=household.pk))
    return household
