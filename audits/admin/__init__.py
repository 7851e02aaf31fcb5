"""The audit pages: campaigns (with draw, verify, cancel, close and results) and the item
checking form. Importing this registers them."""

from audits.admin import campaigns, items  # noqa: F401  (registration)
