"""Writes of claims: a claimer claims a wish, withdraws the claim or marks it done; the
community confirms it (the love bank grows by the category's points) or returns it.

Every step locks the wish's row first (``locked_wish``): two claimers racing for one wish are
served one after the other, and the second finds it claimed. The database's
``one_live_claim_per_wish`` refuses a second live claim whatever the code does. Each step asks
``wishes.selectors.wish_step_refusal`` and writes the history of the claim and of the wish
with who and why; a refusal changes nothing.
"""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from wishes.models import Claim, ClaimerKind, ClaimState, Wish, WishState
from wishes.selectors import WishAction, claimer_of
from wishes.services.wishes import (
    NOTE_MAX_LENGTH,
    claim_save,
    locked_wish,
    photos_prepare,
    photos_store,
    refuse_unless_allowed,
    step_reason,
    text_required,
    wish_save,
)


def _locked_claim(actor: Actor, claim: Claim) -> Claim:
    """``claim`` read afresh after its wish's row is locked, with that wish."""
    wish = locked_wish(actor, Wish(pk=claim.wish_id))
    locked = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("claimer", "claimer__user")
        .get(pk=claim.pk)
    )
    locked.wish = wish
    return locked


@transaction.atomic
def wish_claim(*, actor: Actor, wish: Wish, at: dt.datetime | None = None) -> Claim:
    """An approved claimer claims an open wish; a department's staff claim for their
    department. A wish claimed meanwhile is refused: "already claimed"."""
    at = at or timezone.now()
    locked = locked_wish(actor, wish)
    refuse_unless_allowed(actor, locked, WishAction.CLAIM)
    claimer = claimer_of(actor)
    if claimer is None:  # refused above already; said again for the type checker
        raise PermissionDenied(_("You may not claim wishes."))
    claim = Claim(
        wish=locked,
        claimer=claimer,
        department=claimer.department if claimer.kind == ClaimerKind.DEPARTMENT else None,
        state=ClaimState.CLAIMED,
        claimed_at=at,
    )
    reason = step_reason(WishAction.CLAIM)
    claim_save(claim, actor=actor, reason=reason)
    locked.state = WishState.CLAIMED
    locked.claimed_at = at
    wish_save(locked, actor=actor, reason=reason)
    return claim


@transaction.atomic
def claim_withdraw(
    *, actor: Actor, claim: Claim, reason: str, at: dt.datetime | None = None
) -> Claim:
    """The claimer gives the wish up, with a reason: it is open on the board again."""
    at = at or timezone.now()
    claim = _locked_claim(actor, claim)
    refuse_unless_allowed(actor, claim, WishAction.WITHDRAW_CLAIM)
    reason = text_required(reason, missing=_("Write why you withdraw the claim."))
    claim.state = ClaimState.WITHDRAWN
    claim.withdrawn_at = at
    claim.withdraw_reason = reason
    why = step_reason(WishAction.WITHDRAW_CLAIM, reason)
    claim_save(claim, actor=actor, reason=why)
    wish = claim.wish
    wish.state = WishState.OPEN
    wish.claimed_at = None
    wish_save(wish, actor=actor, reason=why)
    return claim


@transaction.atomic
def claim_fulfil(
    *,
    actor: Actor,
    claim: Claim,
    note: str,
    photos: Sequence[UploadedFile] = (),
    at: dt.datetime | None = None,
) -> Claim:
    """The claimer marks the wish done, saying what was done, with photos as evidence: it
    waits for the community's confirmation."""
    at = at or timezone.now()
    prepared = photos_prepare(photos)
    claim = _locked_claim(actor, claim)
    refuse_unless_allowed(actor, claim, WishAction.FULFIL)
    note = text_required(note, missing=_("Write what was done."), limit=NOTE_MAX_LENGTH)
    claim.state = ClaimState.DONE
    claim.done_at = at
    claim.done_note = note
    why = step_reason(WishAction.FULFIL, note)
    claim_save(claim, actor=actor, reason=why)
    wish = claim.wish
    wish.state = WishState.DONE
    wish_save(wish, actor=actor, reason=why)
    photos_store(wish, prepared, actor=actor, at=at, claim=claim)
    return claim


@transaction.atomic
def claim_confirm(*, actor: Actor, claim: Claim, at: dt.datetime | None = None) -> Claim:
    """The wish's community confirms the claimer's work: the wish is fulfilled and the claim
    keeps the category's points, its claimer's (or department's) love bank grows by them."""
    at = at or timezone.now()
    claim = _locked_claim(actor, claim)
    refuse_unless_allowed(actor, claim, WishAction.CONFIRM)
    wish = claim.wish
    claim.state = ClaimState.CONFIRMED
    claim.confirmed_at = at
    claim.confirmed_by = actor
    claim.points = wish.category.points
    why = step_reason(WishAction.CONFIRM)
    claim_save(claim, actor=actor, reason=why)
    wish.state = WishState.FULFILLED
    wish.fulfilled_at = at
    wish_save(wish, actor=actor, reason=why)
    return claim


@transaction.atomic
def claim_return(
    *, actor: Actor, claim: Claim, reason: str, at: dt.datetime | None = None
) -> Claim:
    """The wish's community finds it not done, with a reason: back to its claimer, claimed
    again (what was marked done stays in the history)."""
    claim = _locked_claim(actor, claim)
    refuse_unless_allowed(actor, claim, WishAction.RETURN)
    reason = text_required(reason, missing=_("Write why it is returned."))
    claim.state = ClaimState.CLAIMED
    claim.returns += 1
    claim.done_at = None
    claim.done_note = ""
    why = step_reason(WishAction.RETURN, reason)
    claim_save(claim, actor=actor, reason=why)
    wish = claim.wish
    wish.state = WishState.CLAIMED
    wish_save(wish, actor=actor, reason=why)
    return claim
