"""What may be done with a wish now, by whom, and why not: the one rule the pages show as
buttons and every service refuses on (``wish_step_refusal``).

A wish is posted open by its community's staff, who may edit it while it is open and withdraw
it (with a reason) while it is open or claimed. An approved claimer claims an open wish; the
claimer withdraws the claim (the wish reopens) or marks it done with a note; the community's
staff — never the claimer himself — confirm it (fulfilled, the love bank grows) or return it
with a reason (claimed again). A fulfilled or withdrawn wish is closed.

Claiming and marking done need an approved registration; a claimer whose registration was
suspended meanwhile may still withdraw the claim, which gives the wish back to the board.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.types import User
from archives import scope
from wishes.models import (
    LIVE_CLAIM_STATES,
    Claim,
    Claimer,
    ClaimerStatus,
    ClaimState,
    Wish,
    WishState,
)
from wishes.selectors.visible import CHANGE_PERMISSION, CLAIM_PERMISSION, wish_visible


class WishAction(models.TextChoices):
    EDIT = "edit", pgettext_lazy("wish step", "edit")
    WITHDRAW = "withdraw", pgettext_lazy("wish step", "withdraw the wish")
    CLAIM = "claim", pgettext_lazy("wish step", "claim")
    WITHDRAW_CLAIM = "withdraw_claim", pgettext_lazy("wish step", "withdraw the claim")
    FULFIL = "fulfil", pgettext_lazy("wish step", "mark done")
    CONFIRM = "confirm", pgettext_lazy("wish step", "confirm")
    RETURN = "return", pgettext_lazy("wish step", "return")


#: The steps on the wish itself; the others act on its live claim.
WISH_STEPS = (WishAction.EDIT, WishAction.WITHDRAW, WishAction.CLAIM)
CLAIM_STEPS = (
    WishAction.WITHDRAW_CLAIM,
    WishAction.FULFIL,
    WishAction.CONFIRM,
    WishAction.RETURN,
)
#: Steps that need a reason or a note written.
NEEDS_TEXT = frozenset(
    {WishAction.WITHDRAW, WishAction.WITHDRAW_CLAIM, WishAction.FULFIL, WishAction.RETURN}
)


@dataclass(frozen=True)
class Refusal:
    message: str
    #: Outside the user's scope or role (403), rather than a step out of turn.
    forbidden: bool = False


def outside_scope() -> Refusal:
    """The refusal for someone who cannot see the wish: the same whatever its state."""
    return Refusal(_("This wish is outside your area: you cannot act on it."), forbidden=True)


def acts_for_community(user: User, wish: Wish) -> bool:
    """Whether ``user`` works for the wish's community (its staff, or a superuser)."""
    return scope.may_work_in_community(user, wish.community, permission=CHANGE_PERMISSION)


def live_claim(wish: Wish) -> Claim | None:
    """The wish's claim being done or waiting for confirmation, if any (at most one)."""
    return (
        Claim.objects.select_related("claimer", "claimer__user")
        .filter(wish_id=wish.pk, state__in=LIVE_CLAIM_STATES)
        .first()
    )


def _registration_refusal(user: User) -> Refusal | None:
    """Why ``user`` may not claim or act as a claimer, or None for an approved claimer."""
    if not user.is_active or not user.has_perm(CLAIM_PERMISSION):
        return Refusal(_("You may not claim wishes."), forbidden=True)
    claimer = Claimer.objects.filter(user_id=user.pk).only("status").first()
    if claimer is None:
        return Refusal(
            _("You are not registered as a claimer: you cannot claim wishes."), forbidden=True
        )
    if claimer.status == ClaimerStatus.PENDING:
        return Refusal(
            _("Your registration waits for the community's approval: you cannot claim yet."),
            forbidden=True,
        )
    if claimer.status == ClaimerStatus.REFUSED:
        return Refusal(
            _("Your registration as a claimer was refused: you cannot claim wishes."),
            forbidden=True,
        )
    if claimer.status == ClaimerStatus.SUSPENDED:
        return Refusal(
            _("Your registration as a claimer is suspended: you cannot claim wishes."),
            forbidden=True,
        )
    return None


def _claim_refusal(user: User, wish: Wish) -> Refusal | None:
    """Claiming: an approved claimer, an open wish. A wish that is claimed already is said to
    be so (it was on the board for every claimer)."""
    refusal = _registration_refusal(user)
    if refusal is not None:
        return refusal
    if wish.state in (WishState.CLAIMED, WishState.DONE):
        return Refusal(_("This wish has already been claimed by someone else."))
    if wish.state != WishState.OPEN:
        return Refusal(_("This wish is no longer open: it cannot be claimed."))
    return None


def _closed_refusal(wish: Wish) -> Refusal | None:
    if wish.state == WishState.FULFILLED:
        return Refusal(_("This wish has been fulfilled: nothing more can be done on it."))
    if wish.state == WishState.WITHDRAWN:
        return Refusal(_("This wish has been withdrawn: nothing more can be done on it."))
    return None


def _wish_step_refusal(user: User, wish: Wish, action: str) -> Refusal | None:
    """Editing and withdrawing, by the community's staff."""
    if not acts_for_community(user, wish):
        return Refusal(
            _("Only the staff of %(community)s can edit or withdraw this wish.")
            % {"community": wish.community},
            forbidden=True,
        )
    if action == WishAction.EDIT and wish.state != WishState.OPEN:
        return Refusal(_("This wish has been claimed: it can no longer be edited."))
    if action == WishAction.WITHDRAW and wish.state == WishState.DONE:
        return Refusal(
            _(
                "The claimer has marked this wish done: confirm it or return it rather than "
                "withdraw it."
            )
        )
    return None


def _claim_step_refusal(user: User, claim: Claim | None, action: str) -> Refusal | None:
    """The steps on a claim: the claimer's (withdraw, mark done) and the community's (confirm,
    return)."""
    if claim is None or claim.state == ClaimState.WITHDRAWN:
        return Refusal(_("This wish has no claim being done: claim it first."))
    if claim.state == ClaimState.CONFIRMED:
        return Refusal(_("This claim has been confirmed: nothing more can be done on it."))
    is_claimer = user.pk is not None and claim.claimer.user_id == user.pk
    if action in (WishAction.WITHDRAW_CLAIM, WishAction.FULFIL):
        if not is_claimer:
            return Refusal(_("Only its claimer can act on this claim."), forbidden=True)
        if action == WishAction.FULFIL:
            refusal = _registration_refusal(user)
            if refusal is not None:
                return refusal
        if claim.state == ClaimState.DONE:
            return Refusal(
                _("This claim is marked done and waits for the community's confirmation.")
            )
        return None
    # Confirming or returning: the community's staff, never the claimer.
    if is_claimer:
        return Refusal(
            _("You cannot confirm or return your own claim: the community's staff do that.")
        )
    if not acts_for_community(user, claim.wish):
        return Refusal(
            _("Only the staff of %(community)s can confirm or return this claim.")
            % {"community": claim.wish.community},
            forbidden=True,
        )
    if claim.state != ClaimState.DONE:
        return Refusal(_("The claimer has not marked this wish done yet."))
    return None


def _refusal(
    user: User, wish: Wish, claim: Claim | None, action: str, *, visible: bool
) -> Refusal | None:
    if action not in WishAction.values:
        raise ValueError(f"unknown wish action {action!r}")
    if action == WishAction.CLAIM:
        return _claim_refusal(user, wish)
    if not visible:
        return outside_scope()
    closed = _closed_refusal(wish)
    if closed is not None:
        return closed
    if action in WISH_STEPS:
        return _wish_step_refusal(user, wish, action)
    return _claim_step_refusal(user, claim, action)


def wish_step_refusal(user: User, wish_or_claim: Wish | Claim, action: str) -> Refusal | None:
    """Why ``user`` may not take ``action`` on a wish (or on a claim) as it stands, or None if
    they may. ``forbidden`` tells a refusal of scope or role from a step out of turn. The
    claimer's and the community's steps on a claim take the claim, or the wish (its live
    claim). Someone who cannot see the wish is refused first, told nothing of its state;
    claiming is the exception — an open wish is on every claimer's board."""
    if isinstance(wish_or_claim, Claim):
        claim: Claim | None = wish_or_claim
        wish = wish_or_claim.wish
    else:
        wish = wish_or_claim
        claim = live_claim(wish) if action in CLAIM_STEPS else None
    visible = action == WishAction.CLAIM or wish_visible(user, wish)
    return _refusal(user, wish, claim, action, visible=visible)


def wish_action_refusal(user: User, wish_or_claim: Wish | Claim, action: str) -> str | None:
    """The message of ``wish_step_refusal``: why not, or None if ``user`` may."""
    refusal = wish_step_refusal(user, wish_or_claim, action)
    return None if refusal is None else refusal.message


def wish_actions(user: User, wish: Wish) -> list[str]:
    """The steps ``user`` may take on ``wish`` now, in the order a page offers them (the
    claim's steps act on the wish's live claim)."""
    visible = wish_visible(user, wish)
    if not visible and wish.state != WishState.OPEN:
        return []
    claim = live_claim(wish) if wish.state in (WishState.CLAIMED, WishState.DONE) else None
    return [
        action
        for action in WishAction.values
        if _refusal(user, wish, claim, action, visible=visible) is None
    ]
