"""The event pages of the admin, one module per page family."""

from events.admin import events, keeping

__all__ = ["events", "keeping"]
