"""Writes to the resident archive: admin, commands and tests call these, never a bare save().

Each write re-checks scope on the server, whatever a form offered: the stored row must be one the
actor may change, and the row as it will be saved must lie in a grid they may write to. Bulk
writes ask the same of all their rows at once (``scope.may_all``, ``scope.may_place_all``).
Each write is recorded in the row's history with the actor and the reason (django-simple-history).

One module per kind of write (``dwellings``, ``residents``, ``visits``, ``org``, ``reads``,
``bulk_writes``); import the names from ``archives.services``.
"""

from archives.services._base import ConcurrentEditError, When
from archives.services.bulk_writes import (
    households_ensure,
    residents_bulk_create,
    residents_bulk_update,
    rows_bulk_create,
)
from archives.services.dwellings import building_save, household_save
from archives.services.org import community_save, department_save, grid_save, street_save, tag_save
from archives.services.reads import (
    RESIDENT_ELSEWHERE,
    ElsewhereLimitReached,
    export_record_create,
    resident_sensitive_reads_record,
    residents_elsewhere_record,
    sensitive_reads_record,
)
from archives.services.residents import (
    resident_delete,
    resident_revert,
    resident_save,
    resident_verify,
)
from archives.services.visits import visit_save

__all__ = [
    "RESIDENT_ELSEWHERE",
    "ConcurrentEditError",
    "ElsewhereLimitReached",
    "When",
    "building_save",
    "community_save",
    "department_save",
    "export_record_create",
    "grid_save",
    "household_save",
    "households_ensure",
    "resident_delete",
    "resident_revert",
    "resident_save",
    "resident_sensitive_reads_record",
    "resident_verify",
    "residents_bulk_create",
    "residents_bulk_update",
    "residents_elsewhere_record",
    "rows_bulk_create",
    "sensitive_reads_record",
    "street_save",
    "tag_save",
    "visit_save",
]
