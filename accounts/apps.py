from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in: two-factor enrolment and checks, and the login lockout page."""

    name = "accounts"
    verbose_name = _("Sign-in security")
