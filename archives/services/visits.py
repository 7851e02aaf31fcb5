"""Writes of household visits."""

from django.db import transaction

from accounts.types import Actor
from archives.models import Visit
from archives.services._base import _save


@transaction.atomic
def visit_save(*, visit: Visit, actor: Actor, reason: str = "") -> Visit:
    """Record or correct ``visit`` for ``actor``, within their grids."""
    _save(row=visit, actor=actor, reason=reason)
    return visit
