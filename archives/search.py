"""Resident search the way clerks search: what they type decides where to look.

- a whole ID number (18 characters): that number, exactly;
- digits only (4 to 11): the last digits of a phone number;
- an address as the pages print a household ("龙门路1号2单元401室", "龙门路1号 2-401",
  "龙门路1号2单元", full-width digits too): the residents of that household (or unit), found
  through the building's address and the household's place;
- anything else: names that start with it (Chinese names are two or three characters: a
  surname or a surname and the first given character is what people type; a trigram index does
  nothing for one or two characters), and addresses of buildings that start with it.

Each branch reads one index (on PostgreSQL: the ID number, the building address and then
``unique_household_place`` (building, unit, floor, room) for a printed address,
``reverse(phone)`` with ``text_pattern_ops`` from migration 0007, the pattern index Django keeps
beside every indexed text column for the name, the building address pattern index), and the
branches are combined as a UNION of resident IDs, so the database never ORs a substring scan
over the whole archive.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import QuerySet

from archives.models import Building, Household, Resident
from archives.sql import phone_suffix_ids
from archives.validators import ID_NUMBER_SHAPE, normalize_id_number

PHONE_DIGITS = re.compile(r"^\d{4,11}$")

#: A household's place after its building's address, as the pages print it in Chinese
#: ("2单元401室"), as people write it ("2-401", "2单元401") or in English ("unit 2, room 401").
#: The address is the shortest start that leaves such a place (digits in an address stay there:
#: "龙门路12号" is never unit 12).
_PRINTED_PLACE = re.compile(
    r"""^(?P<address>.+?)[\s,，]*
        (?:
            (?P<unit>\d+)\s*(?:单元|-)\s*(?:(?P<room>[0-9A-Za-z]+)\s*室?)?
          | unit\s*(?P<en_unit>\d+)(?:[\s,，]*room\s*(?P<en_room>[0-9A-Za-z]+))?
        )$""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class PrintedAddress:
    address: str
    unit: int
    room: str | None  # None: the whole unit


def parse_printed_address(term: str) -> PrintedAddress | None:
    """The building address, unit and room in ``term`` if it reads as a household's place, else
    None. Full-width digits and letters (typed on a Chinese keyboard) count as ASCII."""
    text = unicodedata.normalize("NFKC", term).strip()
    text = text.replace("—", "-").replace("－", "-").replace("‐", "-")
    match = _PRINTED_PLACE.match(text)
    if match is None:
        return None
    unit = match["unit"] or match["en_unit"]
    room = match["room"] or match["en_room"]
    address = match["address"].strip()
    if not address:
        return None
    return PrintedAddress(address=address, unit=int(unit), room=room)


def resident_search(residents: QuerySet[Resident], term: str) -> QuerySet[Resident]:
    """``residents`` (already scoped, annotated by ``scope.with_sensitive_flags``) narrowed to
    those matching ``term``."""
    # Full-width digits and letters from a Chinese keyboard search as their ASCII forms.
    term = unicodedata.normalize("NFKC", term).strip()
    if not term:
        return residents
    id_number = normalize_id_number(term)
    if ID_NUMBER_SHAPE.match(id_number):
        # Only rows whose ID number this user may read answer: a search must not confirm whose
        # number it is.
        # ``shows_id_number`` is annotated by scope.with_sensitive_flags, which stubs can't see.
        return residents.filter(id_number=id_number, shows_id_number=True)  # type: ignore[misc]
    return residents.filter(pk__in=_matching_ids(term))


def _matching_ids(term: str) -> QuerySet:
    if PHONE_DIGITS.match(term):
        return phone_suffix_ids(term)
    # No ordering inside a UNION (the models' default ordering would add one).
    by_name = Resident.objects.filter(name__startswith=term).order_by().values("pk")
    buildings = Building.objects.filter(address__startswith=term).order_by().values("pk")
    by_address = Resident.objects.filter(household__building__in=buildings).order_by()
    matches = by_name.union(by_address.values("pk"))
    if place := parse_printed_address(term):
        matches = matches.union(printed_address_ids(place))
    return matches


def printed_address_ids(place: PrintedAddress) -> QuerySet:
    """Residents of the household (or the unit) at ``place``: the building by its address,
    then the household through (building, unit, floor, room)."""
    households = Household.objects.filter(
        building__in=Building.objects.filter(address=place.address).values("pk"), unit=place.unit
    )
    if place.room is not None:
        households = households.filter(room=place.room)
    return Resident.objects.filter(household__in=households.values("pk")).order_by().values("pk")
