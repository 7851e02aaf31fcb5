"""Writes of wishes by their community: post, edit, withdraw; the categories; the photos.

Every step that changes a wish locks its row, asks ``wishes.selectors.wish_step_refusal`` the
same question the page asked, and on a yes writes the wish's history with who and why; the
wish's ``version`` grows by one. A refusal (``ValidationError`` for a step out of turn,
``PermissionDenied`` outside one's scope or role) changes nothing.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Community, Resident
from archives.photos import PreparedPhoto
from archives.photos import photos_prepare as photos_checked
from wishes.models import (
    LIVE_CLAIM_STATES,
    Claim,
    ClaimState,
    Wish,
    WishCategory,
    WishPhoto,
    WishState,
)
from wishes.selectors import (
    POST_PERMISSION,
    WishAction,
    outside_scope,
    wish_step_refusal,
    wish_visible,
)

#: What a withdrawal or a return keeps of its reason (the columns' length).
REASON_MAX_LENGTH = Wish._meta.get_field("withdraw_reason").max_length or 500
DESCRIPTION_MAX_LENGTH = Wish._meta.get_field("description").max_length or 2000
NOTE_MAX_LENGTH = Claim._meta.get_field("done_note").max_length or 2000
#: The fields of a wish its community may change while it is open.
EDITABLE_FIELDS = frozenset({"title", "description", "category", "place", "wanted_by", "resident"})
CATEGORY_FIELDS = frozenset({"code", "name", "points", "active"})


def photos_prepare(uploads: Sequence[UploadedFile]) -> list[PreparedPhoto]:
    """The photos of one step, checked and re-encoded (``archives.photos.photos_prepare``)."""
    return photos_checked(uploads, at_most=settings.WISH_PHOTOS_PER_STEP)


def photos_store(
    wish: Wish,
    photos: list[PreparedPhoto],
    *,
    actor: Actor,
    at: dt.datetime,
    claim: Claim | None = None,
) -> None:
    """Files are written at once, rows with the transaction: if one fails, the rows roll back
    and the files already written are removed with them, not left behind unlisted."""
    written: list[WishPhoto] = []
    prefix = f"claim{claim.pk}-" if claim is not None else ""
    try:
        for number, photo in enumerate(photos, start=1):
            row = WishPhoto(
                wish=wish,
                claim=claim,
                width=photo.width,
                height=photo.height,
                uploaded_at=at,
                uploaded_by=actor,
            )
            row.image.save(f"{prefix}{number}.jpg", ContentFile(photo.content), save=False)
            written.append(row)
            row.save()
    except BaseException:
        for row in written:
            row.image.delete(save=False)
        raise


def text_required(text: str, *, missing: str, limit: int = REASON_MAX_LENGTH) -> str:
    """``text`` stripped; refused with ``missing`` when empty, or when longer than what is
    kept."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(missing)
    return text_limited(text, limit=limit)


def text_limited(text: str, *, limit: int) -> str:
    if len(text) > limit:
        raise ValidationError(
            _("Write at most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(text)}
        )
    return text


def refuse_unless_allowed(actor: Actor, wish_or_claim: Wish | Claim, action: str) -> None:
    refusal = wish_step_refusal(actor, wish_or_claim, action)
    if refusal is not None:
        raise (PermissionDenied if refusal.forbidden else ValidationError)(refusal.message)


def locked_wish(actor: Actor, wish: Wish, version: int | None = None) -> Wish:
    """``wish`` read afresh and locked for the step (every step on a wish or its claims takes
    this lock first: two claimers never both win). A ``version`` other than the wish's now is
    refused — after a check that ``actor`` may see the wish at all."""
    locked = (
        Wish.objects.select_for_update(of=("self",))
        .select_related("community", "category")
        .get(pk=wish.pk)
    )
    if version is not None and locked.version != version:
        if not wish_visible(actor, locked):
            raise PermissionDenied(outside_scope().message)
        raise ValidationError(
            _(
                "Someone else changed this wish while you had it open (it is now %(state)s). "
                "Nothing was changed: look at it again."
            )
            % {"state": WishState(locked.state).label}
        )
    return locked


def step_reason(action: str, note: str = "") -> str:
    """The history's why: the step's name, and the note or reason written with it."""
    label = str(WishAction(action).label)
    return f"{label}: {note}" if note else label


def wish_save(wish: Wish, *, actor: Actor, reason: str) -> None:
    """The wish saved with its version one higher and a history entry saying who and why."""
    wish.version += 1
    history_attribution_set(wish, actor=actor, reason=reason)
    wish.save()


def claim_save(claim: Claim, *, actor: Actor, reason: str) -> None:
    history_attribution_set(claim, actor=actor, reason=reason)
    claim.save()


def _wanted_by_checked(wanted_by: dt.date, at: dt.datetime) -> None:
    if wanted_by < timezone.localdate(at):
        raise ValidationError(_("The wanted-by date has passed: choose a later date."))


def _resident_checked(resident: Resident | None, community: Community) -> None:
    if resident is None:
        return
    lives_here = Resident.objects.filter(pk=resident.pk, grid__community_id=community.pk).exists()
    if not lives_here:
        raise ValidationError(
            _("The resident does not live in %(community)s.") % {"community": community}
        )


def _category_checked(category: WishCategory) -> None:
    if not category.active:
        raise ValidationError(
            _("The category “%(name)s” is no longer in use.") % {"name": category.name}
        )


def _wish_validated(wish: Wish) -> None:
    wish.title = (wish.title or "").strip()
    wish.place = (wish.place or "").strip()
    wish.description = text_required(
        wish.description,
        missing=_("Describe the wish."),
        limit=DESCRIPTION_MAX_LENGTH,
    )
    wish.full_clean()


@transaction.atomic
def wish_post(
    *,
    actor: Actor,
    community: Community,
    title: str,
    description: str,
    category: WishCategory,
    place: str,
    wanted_by: dt.date,
    resident: Resident | None = None,
    photos: Sequence[UploadedFile] = (),
    at: dt.datetime | None = None,
) -> Wish:
    """Community staff post a resident's wish in their community: open, on the board."""
    if not scope.may_work_in_community(actor, community, permission=POST_PERMISSION):
        raise PermissionDenied(
            _("You may not post wishes in %(community)s.") % {"community": community}
        )
    at = at or timezone.now()
    _category_checked(category)
    _wanted_by_checked(wanted_by, at)
    _resident_checked(resident, community)
    wish = Wish(
        title=title,
        description=description,
        community=community,
        resident=resident,
        category=category,
        place=place,
        wanted_by=wanted_by,
        posted_by=actor,
        posted_at=at,
        state=WishState.OPEN,
    )
    _wish_validated(wish)
    prepared = photos_prepare(photos)
    history_attribution_set(wish, actor=actor, reason=_("wish posted"))
    wish.save()
    photos_store(wish, prepared, actor=actor, at=at)
    return wish


@transaction.atomic
def wish_edit(
    *,
    actor: Actor,
    wish: Wish,
    version: int | None,
    reason: str = "",
    **fields: Any,
) -> Wish:
    """Its community's staff change an open wish (title, description, category, place,
    wanted-by date, resident); once claimed it can no longer be edited."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"wish_edit cannot change {', '.join(sorted(unknown))}")
    locked = locked_wish(actor, wish, version)
    refuse_unless_allowed(actor, locked, WishAction.EDIT)
    reason = text_limited((reason or "").strip(), limit=REASON_MAX_LENGTH)
    if "category" in fields and fields["category"].pk != locked.category_id:
        _category_checked(fields["category"])
    if "wanted_by" in fields and fields["wanted_by"] != locked.wanted_by:
        _wanted_by_checked(fields["wanted_by"], timezone.now())
    if fields.get("resident") is not None:
        _resident_checked(fields["resident"], locked.community)
    for name, value in fields.items():
        setattr(locked, name, value)
    _wish_validated(locked)
    wish_save(locked, actor=actor, reason=step_reason(WishAction.EDIT, reason))
    return locked


@transaction.atomic
def wish_withdraw(
    *,
    actor: Actor,
    wish: Wish,
    version: int | None,
    reason: str,
    at: dt.datetime | None = None,
) -> Wish:
    """Its community's staff withdraw an open or claimed wish, with a reason; a claim on it
    ends as withdrawn with the same reason."""
    at = at or timezone.now()
    locked = locked_wish(actor, wish, version)
    refuse_unless_allowed(actor, locked, WishAction.WITHDRAW)
    reason = text_required(reason, missing=_("Write why the wish is withdrawn."))
    for claim in Claim.objects.select_for_update(of=("self",)).filter(
        wish=locked, state__in=LIVE_CLAIM_STATES
    ):
        claim.state = ClaimState.WITHDRAWN
        claim.withdrawn_at = at
        claim.withdraw_reason = reason
        claim_save(claim, actor=actor, reason=step_reason(WishAction.WITHDRAW, reason))
    locked.state = WishState.WITHDRAWN
    locked.withdrawn_at = at
    locked.withdraw_reason = reason
    wish_save(locked, actor=actor, reason=step_reason(WishAction.WITHDRAW, reason))
    return locked


@transaction.atomic
def wish_category_save(
    *,
    actor: Actor,
    category: WishCategory | None = None,
    reason: str = "",
    **fields: Any,
) -> WishCategory:
    """A new category (``category`` None) or a change to one: code, name, points, in use.
    A change of points does not rewrite confirmed claims, which keep theirs."""
    unknown = set(fields) - CATEGORY_FIELDS
    if unknown:
        raise TypeError(f"wish_category_save cannot change {', '.join(sorted(unknown))}")
    permission = "wishes.add_wishcategory" if category is None else "wishes.change_wishcategory"
    if not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied(_("You may not change the wish categories."))
    if category is None:
        category = WishCategory()
    else:
        category = WishCategory.objects.select_for_update().get(pk=category.pk)
    for name, value in fields.items():
        setattr(category, name, value)
    category.full_clean()
    history_attribution_set(category, actor=actor, reason=reason or _("wish category saved"))
    category.save()
    return category
