from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import site
from django.contrib.auth import authenticate
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accounts import services, two_factor
from accounts.forms import PasswordConfirmForm, ReplaceTokenForm, TokenForm
from accounts.two_factor import confirmed_device, two_factor_required


@never_cache
def two_factor_setup(request):
    """Enrol an authenticator app: confirm the password, scan the QR code (or type the secret),
    confirm with a code; moving to a new phone also needs a code from the current one.

    The pending secret is shown only on this page, to the session that started it, and lives in
    an unconfirmed device until confirmed. A session opened before the device never gets here
    (``TwoFactorRequiredMiddleware`` signs it out).
    """
    user = request.user
    if not two_factor.password_fresh(request):
        return _confirm_password(request)

    if request.method == "POST" and "remove" in request.POST:
        if two_factor_required(user):
            messages.error(request, _("Your account must use two-factor sign-in."))
        else:
            services.totp_device_remove(user=user)
            messages.success(request, _("Two-factor sign-in is off for your account."))
        return redirect("admin:two_factor")

    has_device = confirmed_device(user) is not None
    form = (ReplaceTokenForm if has_device else TokenForm)(request.POST or None)
    if form.is_valid():
        device, problem = services.totp_device_confirm(
            user=user,
            pending_id=two_factor.pending_device_id(request),
            token=form.cleaned_data["token"],
            current_token=form.cleaned_data.get("current_token", ""),
        )
        if device is not None:
            otp_login(request, device)  # this session has just proved the second factor
            messages.success(request, _("Two-factor sign-in is on for your account."))
            return redirect("admin:index")
        if problem == services.CURRENT_CODE_WRONG:
            form.add_error(
                "current_token",
                _("The code from your current phone is wrong or has expired."),
            )
        else:
            form.add_error("token", _("The code is wrong or has expired. Enter the current one."))

    pending = services.totp_device_start(
        user=user, pending_id=two_factor.pending_device_id(request)
    )
    two_factor.remember_pending_device(request, pending)
    uri = pending.config_url
    context = {
        **site.each_context(request),
        "title": _("Two-factor sign-in"),
        "form": form,
        "has_device": has_device,
        "required": two_factor_required(user),
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, title=settings.OTP_TOTP_ISSUER),
        "secret": _grouped(pending.key),
    }
    return TemplateResponse(request, "admin/accounts/two_factor.html", context)


def _confirm_password(request):
    """The password again, typed in this session: a session left open on someone's desk (or
    stolen) must not be enough to change how the account signs in."""
    user = request.user
    form = PasswordConfirmForm(request.POST or None)
    if form.is_valid():
        # Through the authentication backends: a wrong password counts towards the lockout.
        again = authenticate(
            request, username=user.get_username(), password=form.cleaned_data["password"]
        )
        if again is not None and again.pk == user.pk:
            two_factor.password_confirmed(request)
            return redirect("admin:two_factor")
        form.add_error("password", _("The password is wrong."))
    context = {
        **site.each_context(request),
        "title": _("Two-factor sign-in"),
        "password_form": form,
        "required": two_factor_required(user),
        "has_device": confirmed_device(user) is not None,
    }
    return TemplateResponse(request, "admin/accounts/two_factor.html", context)


def _grouped(hex_key: str) -> str:
    """The secret in base32, as authenticator apps ask for it when typed, in groups of four."""
    secret = b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
