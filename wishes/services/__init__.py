"""Writes of wishes: the community's (post, edit, withdraw, confirm, return), the claimer's
(claim, withdraw the claim, mark done) and the categories. Import them from here."""

from wishes.services.claims import (
    claim_confirm,
    claim_fulfil,
    claim_return,
    claim_withdraw,
    wish_claim,
)
from wishes.services.wishes import (
    photos_prepare,
    wish_category_save,
    wish_edit,
    wish_post,
    wish_withdraw,
)

__all__ = [
    "claim_confirm",
    "claim_fulfil",
    "claim_return",
    "claim_withdraw",
    "photos_prepare",
    "wish_category_save",
    "wish_claim",
    "wish_edit",
    "wish_post",
    "wish_withdraw",
]
