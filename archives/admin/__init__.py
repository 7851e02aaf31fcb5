"""The archive's admin pages, one module per part; importing this registers them all."""

from archives.admin import access, files, org, residents  # noqa: F401  (registration)
