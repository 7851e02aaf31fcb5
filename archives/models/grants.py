"""Grants: who may work where, as django-guardian object permissions on org units.

A grant is an ``access_<unit>`` permission held by a user or a group on one street, community,
grid or department. guardian's direct foreign-key tables are used instead of its generic ones:
the generic lookup casts primary keys to text and cannot use an index, and a foreign key keeps
a grant from outliving its unit. There are no tables for residents, households or buildings on
purpose: their scope always resolves through their grid (``archives.scope``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from archives.models.org import Community, Department, Grid, Street


class StreetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("street grant to a user")


class StreetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("street grant to a group")


class CommunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        Community, on_delete=models.CASCADE, verbose_name=_("community")
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("community grant to a user")


class CommunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        Community, on_delete=models.CASCADE, verbose_name=_("community")
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("community grant to a group")


class GridUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE, verbose_name=_("grid"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("grid grant to a user")


class GridGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE, verbose_name=_("grid"))

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("grid grant to a group")


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        Department, on_delete=models.CASCADE, verbose_name=_("department")
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("department grant to a user")


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        Department, on_delete=models.CASCADE, verbose_name=_("department")
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("department grant to a group")
