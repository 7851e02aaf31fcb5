from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from accounts.two_factor import confirmed_device

_TOKEN_WIDGET = forms.TextInput(
    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
)


class PortalAuthenticationForm(AdminAuthenticationForm):
    """The admin login with a code field, asked of every account that has enrolled a device.

    A wrong or missing code counts as a failed login for django-axes, like a wrong password:
    guessing codes for a stolen password locks the account too.
    """

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        widget=_TOKEN_WIDGET,
        help_text=_("Only if you have set up two-factor sign-in."),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _(
            "This account uses two-factor sign-in: enter the 6-digit code from your "
            "authenticator app."
        ),
        "otp_invalid": _("The authenticator code is wrong or has expired. Try the current one."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        device = confirmed_device(user)
        user.otp_device = None
        if device is None:
            return
        token = self.cleaned_data.get("otp_token", "").strip()
        if not token:
            self._refuse(user, "otp_required")
        allowed, _extra = device.verify_is_allowed()
        if not allowed or not device.verify_token(token):
            self._refuse(user, "otp_invalid")
        # django-otp marks the session as verified with this device when the login completes.
        user.otp_device = device

    def _refuse(self, user, code: str):
        user_login_failed.send(
            sender=type(self),
            credentials={"username": user.get_username()},
            request=self.request,
        )
        raise forms.ValidationError(self.error_messages[code], code=code)


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Code from the app"), max_length=6, widget=_TOKEN_WIDGET)


class ReplaceTokenForm(TokenForm):
    """Moving two-factor sign-in to a new phone: the new app's code and the current one's."""

    current_token = forms.CharField(
        label=_("Code from the phone you use now"),
        max_length=6,
        widget=_TOKEN_WIDGET,
        help_text=_("Lost that phone? An administrator can reset your two-factor sign-in."),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
