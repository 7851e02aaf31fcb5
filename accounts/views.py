from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import site
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accounts import services
from accounts.forms import TokenForm
from accounts.two_factor import confirmed_device, two_factor_required


@never_cache
def two_factor_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a code.

    The pending secret is shown only to its owner on this page and lives in an unconfirmed
    device until confirmed; a confirmed device replaces the earlier one.
    """
    user = request.user
    if request.method == "POST" and "remove" in request.POST:
        if two_factor_required(user):
            messages.error(request, _("Your account must use two-factor sign-in."))
        else:
            services.totp_device_remove(user=user)
            messages.success(request, _("Two-factor sign-in is off for your account."))
        return redirect("admin:two_factor")

    form = TokenForm(request.POST or None)
    if form.is_valid():
        device = services.totp_device_confirm(user=user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)  # this session has just proved the second factor
            messages.success(request, _("Two-factor sign-in is on for your account."))
            return redirect("admin:index")
        form.add_error("token", _("The code is wrong or has expired. Enter the current one."))

    pending = services.totp_device_start(user=user)
    uri = pending.config_url
    context = {
        **site.each_context(request),
        "title": _("Two-factor sign-in"),
        "form": form,
        "has_device": confirmed_device(user) is not None,
        "required": two_factor_required(user),
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, title=settings.OTP_TOTP_ISSUER),
        "secret": _grouped(pending.key),
    }
    return TemplateResponse(request, "admin/accounts/two_factor.html", context)


def _grouped(hex_key: str) -> str:
    """The secret in base32, as authenticator apps ask for it when typed, in groups of four."""
    secret = b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
