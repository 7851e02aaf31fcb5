from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Installs the portal's admin site in place of Django's default one."""

    default_site = "portal.sites.PortalAdminSite"


class PortalConfig(AppConfig):
    """The wiring as an app of its own, installed last, for the commands that need every app
    below it: ``roles_sync`` (the role table names their permissions) and ``seed_demo`` (the
    demo city with its accounts in their roles and its monthly audits). It has no models."""

    name = "portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal import checks  # noqa: F401 — registers the production setup's checks
        from portal.middleware import session_renewed_at_sign_in

        user_logged_in.connect(session_renewed_at_sign_in, dispatch_uid="session_renewed")
