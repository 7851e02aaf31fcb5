"""Writes for two-factor enrolment."""

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.types import Actor


@transaction.atomic
def totp_device_start(*, user: Actor, pending_id: int | None = None) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows.

    ``pending_id`` is the one this session started: reused on reload, so that the QR code
    already scanned stays valid until it is confirmed. A secret is never handed to another
    session: starting anew replaces whatever other session had pending.
    """
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    if pending_id is not None and (device := pending.filter(pk=pending_id).first()):
        return device
    pending.delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


#: Why ``totp_device_confirm`` confirmed nothing.
CURRENT_CODE_WRONG, NEW_CODE_WRONG = "current", "new"


@transaction.atomic
def totp_device_confirm(
    *, user: Actor, pending_id: int | None, token: str, current_token: str = ""
) -> tuple[TOTPDevice | None, str]:
    """Confirm the pending device with a token from the app; it replaces the earlier device
    (a new phone), which must vouch for it with its own current code: whoever holds a session
    and the password still cannot move the second factor to their phone. An administrator's
    reset (deleting the device) is the way back for a lost phone.

    Returns (the device, "") or (None, ``CURRENT_CODE_WRONG`` or ``NEW_CODE_WRONG``). Wrong
    codes are not rolled back: django-otp's throttling counts them.
    """
    current = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if current is not None:
        allowed, _why = current.verify_is_allowed()
        if not current_token or not allowed or not current.verify_token(current_token):
            return None, CURRENT_CODE_WRONG
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending_id).first()
    if device is None or not device.verify_token(token):
        return None, NEW_CODE_WRONG
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, ""


@transaction.atomic
def totp_device_remove(*, user: Actor) -> None:
    TOTPDevice.objects.filter(user=user).delete()
