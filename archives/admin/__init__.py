"""The archive's admin pages, one module per part; importing this registers them all."""

from archives.admin import (  # noqa: F401  (registration)
    access,
    buildings,
    households,
    org,
    residents,
    visits,
)
