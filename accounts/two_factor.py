"""Who must sign in with a second factor, and which device they have.

The portal uses one kind of device, a TOTP authenticator app (django-otp's ``TOTPDevice``); a user
has at most one confirmed device.
"""

import time

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.types import Actor, User


def is_demo_account(user: User) -> bool:
    return user.get_username() in settings.DEMO_ACCOUNTS


def two_factor_required(user: User) -> bool:
    """Administrators and the roles in ``TWO_FACTOR_GROUPS`` (municipal officials) see the
    whole city: with ``REQUIRE_TWO_FACTOR`` they cannot work without a second factor. Demo
    accounts (``DEMO_ACCOUNTS``) are exempt in demo mode only, so that ``make run`` stays a
    one-password demo; in production they are not exempt."""
    if not settings.REQUIRE_TWO_FACTOR or not user.is_authenticated:
        return False
    if settings.DEMO_MODE and is_demo_account(user):
        return False
    return user.is_superuser or user.groups.filter(name__in=settings.TWO_FACTOR_GROUPS).exists()


def confirmed_device(user: Actor) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


#: How long a password typed on the enrolment page lets this session change its second factor.
PASSWORD_FRESH_SECONDS = 5 * 60
_PASSWORD_CONFIRMED_AT = "two_factor_password_confirmed_at"
_PENDING_DEVICE = "two_factor_pending_device"


def password_confirmed(request) -> None:
    request.session[_PASSWORD_CONFIRMED_AT] = time.time()


def password_fresh(request) -> bool:
    """Whether this session confirmed the password in the last ``PASSWORD_FRESH_SECONDS``: a
    session left open (or taken) cannot change the second factor without it."""
    confirmed_at = request.session.get(_PASSWORD_CONFIRMED_AT)
    return confirmed_at is not None and 0 <= time.time() - confirmed_at <= PASSWORD_FRESH_SECONDS


def pending_device_id(request) -> int | None:
    return request.session.get(_PENDING_DEVICE)


def remember_pending_device(request, device) -> None:
    request.session[_PENDING_DEVICE] = device.pk
