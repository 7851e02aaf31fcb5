"""The portal's roles: Django groups holding model-level permissions (what a person may do).

Where they may do it is scope, answered by ``archives.scope`` from grants on streets,
communities, grids and departments; a role alone shows nothing, except the municipal official's
``access_whole_city``.

The table lives here, in the wiring, because it names every app's permissions (archives,
audits, exports) and no app may name the permissions of an app above it. The settings read the
role names (``TWO_FACTOR_GROUPS``) before any model can be imported, so this module imports
models only where it writes.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import Group

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
PARTY_MEMBER = "party member"
VOLUNTEER = "volunteer"

ROLE_LABELS = {
    GRID_MEMBER: _("grid member"),
    COMMUNITY_STAFF: _("community staff"),
    STREET_OFFICIAL: _("street official"),
    DEPARTMENT_STAFF: _("department staff"),
    AUDITOR: _("auditor"),
    MUNICIPAL_OFFICIAL: _("municipal official"),
    ADMINISTRATOR: _("administrator"),
    PARTY_MEMBER: _("on-the-job party member"),
    VOLUNTEER: _("volunteer"),
}

_ARCHIVE_READ = ["view_resident", "view_household", "view_building"]
# Audit campaigns and items (the audits app). Those who keep or oversee files read campaigns
# over their area and the items of residents they may see, to follow results and correct.
_AUDIT_READ = ["view_auditcampaign", "view_audititem"]
_AUDIT_WORK = ["add_auditcampaign", "change_auditcampaign", "change_audititem", *_AUDIT_READ]
# Monthly reports (the exports app): officials download and publish, departments download.
_REPORT_VIEW = ["view_monthlyreport"]
_REPORT_PUBLISH = ["view_monthlyreport", "publish_monthlyreport"]
# Patrol rounds (the patrols app): members walk and record their own; those who oversee an area
# (community, street, city) read its rounds. Departments and auditors have none.
_PATROL_WALK = ["view_patrol", "add_patrol", "change_patrol"]
_PATROL_READ = ["view_patrol"]
# Events (the events app): members and communities report; each level acts for itself (see
# events.selectors.chain); streets and the city escalate overdue events.
_EVENT_REPORT = ["view_event", "add_event"]
_EVENT_COMMUNITY = [*_EVENT_REPORT, "act_for_community"]
_EVENT_STREET = ["view_event", "act_for_street", "escalate_event"]
_EVENT_DEPARTMENT = ["view_event", "act_for_department"]
_EVENT_CITY = ["view_event", "escalate_event"]
# Micro-wishes (the wishes app): communities post wishes and approve their volunteers; claimers
# (department staff for their department, party members, volunteers) see the board and their
# own claims and nothing of the archive; streets and the city follow their area's wishes.
_WISH_POST = [
    "view_wish",
    "add_wish",
    "change_wish",
    "view_claim",
    "view_claimer",
    "change_claimer",
    "approve_claimer",
    "view_wishcategory",
]
_WISH_CLAIM = ["view_wish", "claim_wish", "view_claim"]
_WISH_FOLLOW = ["view_wish", "view_claim", "view_claimer"]
_SENSITIVE = ["view_resident_id_number", "view_resident_medical_history"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    GRID_MEMBER: [
        *_ARCHIVE_EDIT,
        *_ORG_VIEW,
        *_SENSITIVE,
        *_AUDIT_READ,
        *_PATROL_WALK,
        *_EVENT_REPORT,
    ],
    COMMUNITY_STAFF: [
        *_ARCHIVE_EDIT,
        *_ORG_VIEW,
        *_SENSITIVE,
        *_AUDIT_READ,
        *_PATROL_READ,
        *_EVENT_COMMUNITY,
        *_WISH_POST,
    ],
    STREET_OFFICIAL: [
        *_ARCHIVE_EDIT,
        *_ORG_VIEW,
        *_SENSITIVE,
        *_AUDIT_READ,
        *_REPORT_PUBLISH,
        *_PATROL_READ,
        *_EVENT_STREET,
        *_WISH_FOLLOW,
    ],
    # Read-only; medical history only where their department shares it (e.g. health), and
    # never a full ID number.
    DEPARTMENT_STAFF: [
        *_ARCHIVE_READ,
        *_ORG_VIEW,
        "view_resident_medical_history",
        *_REPORT_VIEW,
        *_EVENT_DEPARTMENT,
        *_WISH_CLAIM,
    ],
    # Least privilege: no archive reading at all. The audit tool shows an auditor the pinned,
    # masked versions of the residents sampled in their campaigns and nothing else; their
    # grants say where they may run campaigns, not a part of the archive to browse.
    AUDITOR: [*_ORG_VIEW, *_AUDIT_WORK],
    # The whole city, read-only and masked.
    MUNICIPAL_OFFICIAL: [
        *_ARCHIVE_READ,
        "view_visit",
        *_ORG_VIEW,
        "access_whole_city",
        *_AUDIT_READ,
        *_REPORT_PUBLISH,
        *_PATROL_READ,
        *_EVENT_CITY,
        *_WISH_FOLLOW,
    ],
    ADMINISTRATOR: [],  # administrators are superusers
    # Claimers who are not department staff: the board and their own claims, nothing else.
    PARTY_MEMBER: _WISH_CLAIM,
    VOLUNTEER: _WISH_CLAIM,
}


def roles_ensure() -> dict[str, "Group"]:
    """Create the role groups and set their permissions to exactly the table above."""
    from django.contrib.auth.models import Group, Permission

    # Codenames are unique across these apps.
    apps = ["archives", "audits", "patrols", "events", "wishes", "exports"]
    permissions = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label__in=apps)
    }
    groups = {}
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([permissions[c] for c in codenames])
        groups[name] = group
    return groups
