"""Reads of wishes: who sees which, what may be done now and why not, the board, and the love
bank. One module a concern; import them from here."""

from wishes.selectors.love_bank import (
    RankRow,
    confirmed_claims,
    love_bank_of,
    love_bank_ranking,
)
from wishes.selectors.steps import (
    CLAIM_STEPS,
    NEEDS_TEXT,
    WISH_STEPS,
    Refusal,
    WishAction,
    acts_for_community,
    live_claim,
    outside_scope,
    wish_action_refusal,
    wish_actions,
    wish_step_refusal,
)
from wishes.selectors.visible import (
    CHANGE_PERMISSION,
    CLAIM_PERMISSION,
    POST_PERMISSION,
    board_wishes,
    claimer_of,
    claims_visible,
    given_name,
    resident_first_name,
    wish_visible,
    wishes_visible,
)

__all__ = [
    "CHANGE_PERMISSION",
    "CLAIM_PERMISSION",
    "CLAIM_STEPS",
    "NEEDS_TEXT",
    "POST_PERMISSION",
    "WISH_STEPS",
    "RankRow",
    "Refusal",
    "WishAction",
    "acts_for_community",
    "board_wishes",
    "claimer_of",
    "claims_visible",
    "confirmed_claims",
    "given_name",
    "live_claim",
    "love_bank_of",
    "love_bank_ranking",
    "outside_scope",
    "resident_first_name",
    "wish_action_refusal",
    "wish_actions",
    "wish_step_refusal",
    "wish_visible",
    "wishes_visible",
]
