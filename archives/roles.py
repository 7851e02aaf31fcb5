"""The portal's roles: Django groups holding model-level permissions (what a person may do).

Where they may do it is scope, answered by ``archives.scope``; a role alone shows nothing.
"""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

_ARCHIVE_EDIT = [
    f"{action}_{model}"
    for model in ("resident", "household", "building", "visit")
    for action in ("view", "add", "change")
]
_ORG_VIEW = ["view_street", "view_community", "view_grid", "view_tag", "view_department"]

GRID_MEMBER = "grid member"
COMMUNITY_STAFF = "community staff"
STREET_OFFICIAL = "street official"
DEPARTMENT_STAFF = "department staff"
AUDITOR = "auditor"
MUNICIPAL_OFFICIAL = "municipal official"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    GRID_MEMBER: _("grid member"),
    COMMUNITY_STAFF: _("community staff"),
    STREET_OFFICIAL: _("street official"),
    DEPARTMENT_STAFF: _("department staff"),
    AUDITOR: _("auditor"),
    MUNICIPAL_OFFICIAL: _("municipal official"),
    ADMINISTRATOR: _("administrator"),
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    GRID_MEMBER: [*_ARCHIVE_EDIT, *_ORG_VIEW],
    COMMUNITY_STAFF: [*_ARCHIVE_EDIT, *_ORG_VIEW],
    STREET_OFFICIAL: [*_ARCHIVE_EDIT, *_ORG_VIEW],
    DEPARTMENT_STAFF: ["view_resident", "view_household", "view_building", *_ORG_VIEW],
    AUDITOR: ["view_resident", "view_household", "view_building", *_ORG_VIEW],
    MUNICIPAL_OFFICIAL: [
        "view_resident",
        "view_household",
        "view_building",
        "view_visit",
        *_ORG_VIEW,
    ],
    ADMINISTRATOR: [],  # administrators are superusers
}


def roles_ensure() -> dict[str, Group]:
    """Create the role groups and set their permissions to exactly the table above."""
    permissions = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="archives")
    }
    groups = {}
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([permissions[c] for c in codenames])
        groups[name] = group
    return groups
