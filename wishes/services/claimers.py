"""Writes of claimers: a volunteer's public sign-up, the community's approval or refusal and its
check of the phone number, and the claimers that administrators and community staff create.

A signed-up volunteer gets an inactive account with no role and no permission: nothing can be
done with it until the community approves. Approval activates the account and puts it in the
claimer role of its kind; the role's group names are the portal's (``settings.
WISH_CLAIMER_GROUPS``, from ``portal.roles``), which this app may not import. Every write sets
the history's who and why; a refusal changes nothing."""

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.system import system_actor
from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Community, Department
from wishes.models import Claimer, ClaimerKind, ClaimerStatus
from wishes.selectors.claimers import APPROVE_PERMISSION

#: Mainland mobile numbers: 11 digits starting 13-19 ([0-9], not \d, which matches other
#: scripts' digits).
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―－()（）]")


def phone_normalize(value: str) -> str:
    """The phone number as stored: full-width digits (from an input method in full-width mode)
    made ASCII, spaces, dashes and brackets removed, a leading +86 or 0086 dropped. Raises
    ``ValidationError`` unless an 11-digit mainland mobile number is left."""
    value = unicodedata.normalize("NFKC", value or "")
    value = _SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix) and len(value) == len(prefix) + 11:
            value = value[len(prefix) :]
    if not _MOBILE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number starting with 13–19, such as 139 0433 1234."),
            code="phone",
        )
    return value


def claimer_group(kind: str) -> Group:
    """The role group of a claimer of ``kind`` (created by ``roles_sync``/``seed_demo``)."""
    name = settings.WISH_CLAIMER_GROUPS[kind]
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise ValidationError(
            _("The role “%(role)s” does not exist yet: run manage.py roles_sync.") % {"role": name}
        )
    return group


def _username_errors(username: str) -> dict[str, list[str]]:
    """What is wrong with ``username`` for a new account: missing, not a valid login (Django's
    letters, digits and @.+-_), or taken."""
    User = get_user_model()
    if not username:
        return {"username": [_("Choose a username.")]}
    try:
        User.username_validator(username)
    except ValidationError as error:
        return {"username": error.messages}
    if User.objects.filter(username__iexact=username).exists():
        return {"username": [_("This username is taken: choose another.")]}
    return {}


def _pending_with_phone(phone: str) -> bool:
    return Claimer.objects.filter(phone=phone, status=ClaimerStatus.PENDING).exists()


@transaction.atomic
def claimer_sign_up(
    *,
    name: str,
    phone: str,
    community: Community,
    skills: str,
    username: str,
    password: str,
    at: dt.datetime | None = None,
) -> Claimer:
    """A volunteer's sign-up on the public page: an inactive account (no role, no permission,
    no staff flag) and its claimer waiting for the community's approval. One pending sign-up
    per phone number."""
    User = get_user_model()
    at = at or timezone.now()
    name = " ".join((name or "").split())
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(_("Enter your name."))
    try:
        phone = phone_normalize(phone)
    except ValidationError as error:
        errors.setdefault("phone", []).extend(error.messages)
    else:
        if _pending_with_phone(phone):
            errors.setdefault("phone", []).append(
                _(
                    "A sign-up with this phone number is already waiting for the community's "
                    "approval. The community will call you."
                )
            )
    errors.update(_username_errors(username))
    candidate = User(username=username, first_name=name)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as error:
        errors.setdefault("password", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(
        username=username,
        password=password,
        first_name=name,
        is_active=False,
        is_staff=False,
    )
    claimer = Claimer(
        user=user,
        kind=ClaimerKind.VOLUNTEER,
        name=name,
        phone=phone,
        community=community,
        skills=" ".join((skills or "").split())[:200],
        status=ClaimerStatus.PENDING,
        signed_up_at=at,
    )
    history_attribution_set(claimer, actor=system_actor(), reason=_("public volunteer sign-up"))
    claimer.save()
    return claimer


def claimer_decide_refusal(actor: Actor, claimer: Claimer) -> str | None:
    """Why ``actor`` may not approve or refuse ``claimer`` now, or None if they may."""
    if not scope.may_work_in_community(actor, claimer.community, permission=APPROVE_PERMISSION):
        return _("Only the staff of the claimer's community can approve or refuse them.")
    if claimer.status != ClaimerStatus.PENDING:
        return _("This sign-up has been decided already.")
    return None


@transaction.atomic
def claimer_decide(
    *,
    actor: Actor,
    claimer: Claimer,
    approve: bool,
    note: str = "",
    at: dt.datetime | None = None,
) -> Claimer:
    """The community approves a pending volunteer (the account becomes active and joins the
    volunteer role) or refuses them with a reason (the account stays inactive)."""
    claimer = Claimer.objects.select_for_update().select_related("user").get(pk=claimer.pk)
    if not scope.may_work_in_community(actor, claimer.community, permission=APPROVE_PERMISSION):
        raise PermissionDenied(claimer_decide_refusal(actor, claimer))
    refusal = claimer_decide_refusal(actor, claimer)
    if refusal:
        raise ValidationError(refusal)
    note = " ".join((note or "").split())
    if not approve and not note:
        raise ValidationError({"note": _("Say why the sign-up is refused.")})
    at = at or timezone.now()
    user = claimer.user
    if approve:
        group = claimer_group(claimer.kind)
        # The admin site lets in active staff accounts; what they see is their role's.
        user.is_active = True
        user.is_staff = True
        user.save(update_fields=["is_active", "is_staff"])
        user.groups.add(group)
        claimer.status = ClaimerStatus.APPROVED
        reason = _("approved by the community")
    else:
        claimer.status = ClaimerStatus.REFUSED
        reason = _("refused by the community: %(note)s") % {"note": note}
    claimer.decided_at = at
    claimer.decided_by = actor
    claimer.decision_note = note[:500]
    history_attribution_set(claimer, actor=actor, reason=reason)
    claimer.save()
    return claimer


@transaction.atomic
def claimer_phone_verify(
    *, actor: Actor, claimer: Claimer, at: dt.datetime | None = None
) -> Claimer:
    """The community called the number and reached the person: no SMS is sent."""
    claimer = Claimer.objects.select_for_update().get(pk=claimer.pk)
    if not scope.may_work_in_community(actor, claimer.community, permission=APPROVE_PERMISSION):
        raise PermissionDenied(_("Only the staff of the claimer's community can verify the phone."))
    claimer.phone_verified_at = at or timezone.now()
    history_attribution_set(claimer, actor=actor, reason=_("phone number verified by a call"))
    claimer.save()
    return claimer


def claimer_create_refusal(actor: Actor, *, kind: str, community: Community) -> str | None:
    """Why ``actor`` may not create a claimer of ``kind`` in ``community``, or None."""
    if kind == ClaimerKind.DEPARTMENT:
        if not actor.is_superuser:
            return _("Only administrators create department staff claimers.")
        return None
    if kind == ClaimerKind.PARTY_MEMBER:
        if not scope.may_work_in_community(actor, community, permission=APPROVE_PERMISSION):
            return _(
                "Only administrators and the community's staff create its party member claimers."
            )
        return None
    return _("Volunteers sign up themselves on the public page.")


@transaction.atomic
def claimer_create(
    *,
    actor: Actor,
    user: Actor,
    kind: str,
    name: str,
    phone: str,
    community: Community,
    department: Department | None = None,
    workplace: str = "",
    at: dt.datetime | None = None,
) -> Claimer:
    """A department's staff member or an on-the-job party member as a claimer, approved at
    once (the creator vouches for them); the account joins the claimer role of its kind."""
    refusal = claimer_create_refusal(actor, kind=kind, community=community)
    if refusal:
        raise PermissionDenied(refusal)
    errors: dict[str, list[str]] = {}
    if kind == ClaimerKind.DEPARTMENT and department is None:
        errors["department"] = [_("Choose the department the staff member claims for.")]
    if kind != ClaimerKind.DEPARTMENT:
        department = None
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Enter the name.")]
    try:
        phone = phone_normalize(phone)
    except ValidationError as error:
        errors["phone"] = error.messages
    if Claimer.objects.filter(user=user).exists():
        errors["user"] = [_("This account is a claimer already.")]
    if not user.is_active:
        errors["user"] = [_("This account is not active.")]
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    group = claimer_group(kind)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(group)
    claimer = Claimer(
        user=user,
        kind=kind,
        name=name,
        phone=phone,
        community=community,
        department=department,
        workplace=" ".join((workplace or "").split())[:100],
        status=ClaimerStatus.APPROVED,
        phone_verified_at=at,
        signed_up_at=at,
        decided_at=at,
        decided_by=actor,
    )
    history_attribution_set(claimer, actor=actor, reason=_("claimer created"))
    claimer.save()
    return claimer


@transaction.atomic
def claimer_account_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    kind: str,
    name: str,
    phone: str,
    community: Community,
    department: Department | None = None,
    workplace: str = "",
    at: dt.datetime | None = None,
) -> Claimer:
    """A new account for a department staff member or a party member, and its claimer
    (``claimer_create``): what the claimer page's "add" does."""
    refusal = claimer_create_refusal(actor, kind=kind, community=community)
    if refusal:
        raise PermissionDenied(refusal)
    User = get_user_model()
    username = (username or "").strip()
    errors = _username_errors(username)
    try:
        password_validation.validate_password(password, User(username=username, first_name=name))
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(
        username=username, password=password, first_name=name, is_staff=True
    )
    return claimer_create(
        actor=actor,
        user=user,
        kind=kind,
        name=name,
        phone=phone,
        community=community,
        department=department,
        workplace=workplace,
        at=at,
    )
