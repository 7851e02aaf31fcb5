"""Resident search the way clerks search: what they type decides where to look.

- a whole ID number (18 characters): that number, exactly;
- digits only (4 to 11): the last digits of a phone number;
- anything else: names that start with it (Chinese names are two or three characters: a
  surname or a surname and the first given character is what people type; a trigram index does
  nothing for one or two characters), and addresses of buildings that start with it.

Each branch reads one index (on PostgreSQL: the ID number, ``reverse(phone)`` with
``text_pattern_ops`` from migration 0007, the pattern index Django keeps beside every indexed
text column for the name, the building address pattern index), and the branches are combined as
a UNION of resident IDs, so the database never ORs a substring scan over the whole archive.
"""

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Reverse

from archives.models import Building, Resident
from archives.validators import ID_NUMBER_SHAPE, normalize_id_number

PHONE_DIGITS = re.compile(r"^\d{4,11}$")


def resident_search(residents: QuerySet[Resident], term: str) -> QuerySet[Resident]:
    """``residents`` (already scoped, annotated by ``scope.with_sensitive_flags``) narrowed to
    those matching ``term``."""
    term = term.strip()
    if not term:
        return residents
    id_number = normalize_id_number(term)
    if ID_NUMBER_SHAPE.match(id_number):
        # Only rows whose ID number this user may read answer: a search must not confirm whose
        # number it is.
        return residents.filter(id_number=id_number, shows_id_number=True)
    return residents.filter(pk__in=_matching_ids(term))


def _matching_ids(term: str) -> QuerySet:
    if PHONE_DIGITS.match(term):
        return phone_suffix_ids(term)
    # No ordering inside a UNION (the models' default ordering would add one).
    by_name = Resident.objects.filter(name__startswith=term).order_by().values("pk")
    buildings = Building.objects.filter(address__startswith=term).order_by().values("pk")
    by_address = Resident.objects.filter(household__building__in=buildings).order_by()
    return by_name.union(by_address.values("pk"))


def phone_suffix_ids(digits: str) -> QuerySet:
    """Residents whose phone ends with ``digits``. On PostgreSQL as a prefix of the reversed
    number, which the functional index answers; SQLite (demo and tests) scans."""
    if connection.vendor == "postgresql":
        reversed_phone = Resident.objects.annotate(phone_reversed=Reverse("phone"))
        matches = reversed_phone.filter(phone_reversed__startswith=digits[::-1])
    else:
        matches = Resident.objects.filter(phone__endswith=digits)
    return matches.order_by().values("pk")
