"""The resident archive's models, one module per concern; import them from here."""

from archives.models.access import ExportRecord, SensitiveAccess
from archives.models.files import Building, Household, Resident, Visit
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
    "OrgUnit",
    "Resident",
    "SensitiveAccess",
    "Street",
    "StreetGroupObjectPermission",
    "StreetUserObjectPermission",
    "Tag",
    "Visit",
]
