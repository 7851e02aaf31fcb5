from wishes.admin import claimers  # noqa: F401
