from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Installs the portal's admin site in place of Django's default one."""

    default_site = "portal.sites.PortalAdminSite"
