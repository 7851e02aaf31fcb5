"""Who must sign in with a second factor, and which device they have.

The portal uses one kind of device, a TOTP authenticator app (django-otp's ``TOTPDevice``); a user
has at most one confirmed device.
"""

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from archives.roles import MUNICIPAL_OFFICIAL


def is_demo_account(user) -> bool:
    # Imported here: the demo package pulls in the whole archive, which this module does not need.
    from archives.demo.city import DEMO_ACCOUNTS

    return user.get_username() in {username for username, _role, _about in DEMO_ACCOUNTS}


def two_factor_required(user) -> bool:
    """Administrators and municipal officials see the whole city: with ``REQUIRE_TWO_FACTOR``
    they cannot work without a second factor. Demo accounts are exempt in demo mode only, so
    that ``make run`` stays a one-password demo; in production they are not exempt."""
    if not settings.REQUIRE_TWO_FACTOR or not user.is_authenticated:
        return False
    if settings.DEMO_MODE and is_demo_account(user):
        return False
    return user.is_superuser or user.groups.filter(name=MUNICIPAL_OFFICIAL).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
