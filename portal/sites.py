from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_title = _("Community governance portal")
    site_header = _("Community governance portal")
    index_title = _("Resident archive")
