"""Where a household is, as the imports read it and the bulk services create it."""

from typing import NamedTuple


class Place(NamedTuple):
    """A household's place: equal to (and hashed as) the plain tuple of its parts, so stored
    households read with ``values_list`` are found by it."""

    grid_id: int
    address: str  # the building's, as stored
    unit: int
    floor: int
    room: str


class StoredBuilding(NamedTuple):
    """A stored building as the imports check rows against it."""

    pk: int
    units: int
    floors: int
