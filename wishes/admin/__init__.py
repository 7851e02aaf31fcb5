"""The micro-wish pages of the admin, one module per page family."""

from wishes.admin import board, categories, claimers, claims, wishes

__all__ = ["board", "categories", "claimers", "claims", "wishes"]
