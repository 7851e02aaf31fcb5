"""Tracking apps' devices: tokens issued (shown once, stored hashed) and revoked."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives.model_meta import history_attribution_set
from archives.models import Grid
from patrols.models import TrackingDevice
from patrols.selectors import may_manage_tracking_devices


def device_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _administrator(actor: Actor) -> None:
    if not may_manage_tracking_devices(actor):
        raise PermissionDenied(_("Only an administrator issues and revokes tracking devices."))


@transaction.atomic
def tracking_device_issue(*, actor: Actor, member: Actor, name: str) -> tuple[TrackingDevice, str]:
    """A new device for ``member``; returns it and its identifier, shown once (only its hash is
    kept). The member must walk rounds somewhere."""
    _administrator(actor)
    if not Grid.objects.filter(members=member).exists():
        raise ValidationError(_("%(member)s is not a member of any grid.") % {"member": member})
    token = secrets.token_urlsafe(24)
    device = TrackingDevice(
        member=member,
        name=name,
        token_sha256=device_token_digest(token),
        token_hint=token[-4:],
        issued_at=timezone.now(),
        issued_by=actor,
    )
    device.full_clean(exclude=["token_sha256"])
    history_attribution_set(device, actor=actor, reason=_("device issued"))
    device.save()
    return device, token


@transaction.atomic
def tracking_device_revoke(*, actor: Actor, device: TrackingDevice, reason: str) -> TrackingDevice:
    _administrator(actor)
    device = TrackingDevice.objects.select_for_update().get(pk=device.pk)
    if device.revoked_at is not None:
        raise ValidationError(_("This device is revoked already."))
    device.revoked_at = timezone.now()
    history_attribution_set(device, actor=actor, reason=reason or _("device revoked"))
    device.save()
    return device
