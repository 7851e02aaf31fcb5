"""Writes to the resident archive: admin, commands and tests call these, never a bare save()."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archives.models import Resident


@transaction.atomic
def resident_save(*, resident: Resident, actor: AbstractBaseUser) -> Resident:
    """Create or update ``resident`` after validating it completely, constraints included.

    ``actor`` is the person the change is made for; the history issue records it with the change.
    """
    resident.full_clean()
    resident.save()
    return resident
