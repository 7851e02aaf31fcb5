from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.forms import PortalAuthenticationForm


class PortalAdminSite(admin.AdminSite):
    site_title = _("Community governance portal")
    site_header = _("Community governance portal")
    index_title = _("Resident archive")
    # Asks for the authenticator code of accounts that have one (accounts/forms.py).
    login_form = PortalAuthenticationForm

    def get_urls(self):
        from accounts.views import two_factor_setup

        return [
            path("two-factor/", self.admin_view(two_factor_setup), name="two_factor"),
            *super().get_urls(),
        ]
