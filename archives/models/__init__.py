"""The resident archive's models, one module per concern; import them from here."""

from archives.models.access import ExportRecord, SensitiveAccess
from archives.models.dwellings import Building, Household
from archives.models.grants import (
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    DepartmentGroupObjectPermission,
    DepartmentUserObjectPermission,
    GridGroupObjectPermission,
    GridUserObjectPermission,
    StreetGroupObjectPermission,
    StreetUserObjectPermission,
)
from archives.models.org import Community, Department, Grid, OrgUnit, Street, Tag
from archives.models.residents import HouseholdTag, Resident
from archives.models.visits import Visit

__all__ = [
    "Building",
    "Community",
    "CommunityGroupObjectPermission",
    "CommunityUserObjectPermission",
    "Department",
    "DepartmentGroupObjectPermission",
    "DepartmentUserObjectPermission",
    "ExportRecord",
    "Grid",
    "GridGroupObjectPermission",
    "GridUserObjectPermission",
    "Household",
    "HouseholdTag",
    "OrgUnit",
    "Resident",
    "SensitiveAccess",
    "Street",
    "StreetGroupObjectPermission",
    "StreetUserObjectPermission",
    "Tag",
    "Visit",
]
