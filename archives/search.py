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
``reverse(phone)`` with ``text_pattern_ops`` from migration 0007, ``resident_name_order``
(name in byte order, id) from migration 0016 for the name, the building address pattern
index), and the branches are combined as a UNION of resident IDs, so the database never ORs a
substring scan over the whole archive.

A term that is only a name (``read_term`` answers ``Reading.NAME``: no building address starts
with it, one probe of the address index) is searched without the UNION, and the list shows its
residents by name (``archives.sql.name_order``), like a phone book: PostgreSQL then walks the
name index from the term's first entry and stops at the page, where the list's default order
(grid, address, unit, floor, room, on three other tables) sorted every match first — 16,500
for a common surname at a million residents.
"""

import enum
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


class Reading(enum.Enum):
    """How a search term is read."""

    NOTHING = "nothing"  # blank
    ID_NUMBER = "id number"
    PHONE = "phone digits"
    NAME = "name"  # the start of names only: no building address starts with it
    NAME_OR_ADDRESS = "name or address"  # a printed address, or the start of an address too


def read_term(term: str) -> Reading:
    """How ``term`` is searched. Telling a name from the start of an address takes one probe
    of the building address index; the rest is read from the term alone."""
    term = _normalized(term)
    if not term:
        return Reading.NOTHING
    if ID_NUMBER_SHAPE.match(normalize_id_number(term)):
        return Reading.ID_NUMBER
    if PHONE_DIGITS.match(term):
        return Reading.PHONE
    if parse_printed_address(term) or _buildings_starting(term).exists():
        return Reading.NAME_OR_ADDRESS
    return Reading.NAME


def resident_search(
    residents: QuerySet[Resident], term: str, reading: Reading | None = None
) -> QuerySet[Resident]:
    """``residents`` (already scoped, annotated by ``scope.with_sensitive_flags``) narrowed to
    those matching ``term``; ``reading``: ``read_term(term)`` if the caller has it already."""
    term = _normalized(term)
    reading = reading or read_term(term)
    if reading is Reading.NOTHING:
        return residents
    if reading is Reading.ID_NUMBER:
        # Only rows whose ID number this user may read answer: a search must not confirm whose
        # number it is.
        # ``shows_id_number`` is annotated by scope.with_sensitive_flags, which stubs can't see.
        id_number = normalize_id_number(term)
        return residents.filter(id_number=id_number, shows_id_number=True)  # type: ignore[misc]
    if reading is Reading.NAME:
        # Straight on the list's rows, not through a set of IDs: ordered by name, PostgreSQL
        # walks resident_name_order from the term and stops at the page.
        return residents.filter(name__startswith=term)
    return residents.filter(pk__in=_matching_ids(term))


def _normalized(term: str) -> str:
    # Full-width digits and letters from a Chinese keyboard search as their ASCII forms.
    return unicodedata.normalize("NFKC", term).strip()


def _buildings_starting(term: str) -> QuerySet[Building]:
    return Building.objects.filter(address__startswith=term).order_by()


def _matching_ids(term: str) -> QuerySet:
    if PHONE_DIGITS.match(term):
        return phone_suffix_ids(term)
    # No ordering inside a UNION (the models' default ordering would add one).
    by_name = Resident.objects.filter(name__startswith=term).order_by().values("pk")
    buildings = _buildings_starting(term).values("pk")
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
