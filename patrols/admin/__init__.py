"""The patrol pages of the admin, one module per page family."""

from patrols.admin import devices, phone, rounds, visits

__all__ = ["devices", "phone", "rounds", "visits"]
