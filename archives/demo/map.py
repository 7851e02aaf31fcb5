"""Where the demo city's buildings stand: a plausible map of the town, so that positions (and,
later, patrol rounds walking past buildings) look like a real place on any map.

The town is laid out in metres east and north of its centre. The centre block is the old
town; the streets (街道) are districts around it, ring by ring; a street's communities are
blocks inside it, a community's grids are smaller blocks inside those, and a grid's buildings
stand in rows, 30 to 60 m apart, inside their grid's block. Roads run between the blocks.
The layout depends only on the seed and the city's shape, never on the order things are
built in, so later code can ask for a building's position without replaying the builder.

Metres become degrees on a local flat projection: within a town of a few kilometres the error
is well under a metre.
"""

import functools
import math
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

#: The centre of 延吉 (Yanji, Jilin): the demo city's 0433 phone numbers and its Korean
#: residents are Yanji's.
CENTRE_LATITUDE, CENTRE_LONGITUDE = 42.9048, 129.5133
METRES_PER_DEGREE = 111_320  # of latitude, and of longitude at the equator
#: How far apart neighbouring buildings stand in a row, and rows stand apart, in metres.
PITCH = (30.0, 60.0)
#: The roads between blocks, in metres: between grids, communities and streets.
LANE, ROAD, AVENUE = 20.0, 40.0, 80.0
_MICRODEGREE = Decimal("0.000001")


class LatLon(NamedTuple):
    latitude: Decimal
    longitude: Decimal


class Block(NamedTuple):
    """A rectangle of the town, in metres east (x) and north (y) of the centre."""

    west: float
    south: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.west + self.width / 2, self.south + self.height / 2


def position(east: float, north: float) -> LatLon:
    """The point ``east`` and ``north`` metres from the town's centre, to the six decimals
    stored (about 0.1 m)."""
    latitude = CENTRE_LATITUDE + north / METRES_PER_DEGREE
    longitude = CENTRE_LONGITUDE + east / (
        METRES_PER_DEGREE * math.cos(math.radians(CENTRE_LATITUDE))
    )
    return LatLon(
        Decimal(f"{latitude:.6f}").quantize(_MICRODEGREE),
        Decimal(f"{longitude:.6f}").quantize(_MICRODEGREE),
    )


def moved(point: LatLon, *, east: float, north: float) -> LatLon:
    """``point`` moved by metres: where a phone standing near it may say it is."""
    x, y = metres_of(point)
    return position(x + east, y + north)


def metres_of(point: LatLon) -> tuple[float, float]:
    """``point`` in metres east and north of the town's centre."""
    north = (float(point.latitude) - CENTRE_LATITUDE) * METRES_PER_DEGREE
    east = (float(point.longitude) - CENTRE_LONGITUDE) * (
        METRES_PER_DEGREE * math.cos(math.radians(CENTRE_LATITUDE))
    )
    return east, north


def _rows_and_columns(count: int) -> tuple[int, int]:
    """A near-square arrangement of ``count`` equal blocks: (rows, columns)."""
    columns = max(1, math.ceil(math.sqrt(count)))
    return max(1, math.ceil(count / columns)), columns


def _ring_cells(count: int) -> list[tuple[int, int]]:
    """The first ``count`` cells around (0, 0), ring by ring, each ring counter-clockwise
    from the east: where the districts lie around the old town."""
    cells: list[tuple[int, int]] = []
    ring = 1
    while len(cells) < count:
        around = [
            (i, j)
            for i in range(-ring, ring + 1)
            for j in range(-ring, ring + 1)
            if max(abs(i), abs(j)) == ring
        ]
        around.sort(key=lambda c: math.atan2(c[1], c[0]) % (2 * math.pi))
        cells.extend(around)
        ring += 1
    return cells[:count]


@dataclass(frozen=True)
class TownMap:
    """The town's layout for a city of this shape. Grids, communities and streets are
    numbered from 0 in the order the city has them (their codes' order)."""

    seed: int
    #: Each grid's street and community, in grid order: (street, community), the community
    #: numbered across the whole city.
    grids: tuple[tuple[int, int], ...]
    #: How many buildings a grid's block has room for; a grid with more builds on in rows
    #: beyond it (into its lane), which the demo's sizes never need.
    buildings_per_grid: int

    def building(self, grid: int, number: int) -> LatLon:
        """Where the grid's building ``number`` (0-based, in address order) stands: in rows
        from the block's north-west corner, west to east."""
        block = self.grid_block(grid)
        rows, columns = _rows_and_columns(self.buildings_per_grid)
        across, along = self._pitch(grid)
        row, column = divmod(number, columns)
        # The rows are centred in the block, with the lane around them.
        west = block.west + (block.width - (columns - 1) * across) / 2
        north = block.south + block.height - (block.height - (rows - 1) * along) / 2
        return position(west + column * across, north - row * along)

    def grid_block(self, grid: int) -> Block:
        _street, community = self.grids[grid]
        return _sub_block(
            self.community_block(community),
            self._grid_within[grid],
            self._grid_size,
            self._grids_layout,
        )

    def community_block(self, community: int) -> Block:
        return _sub_block(
            self.street_block(self._street_of[community]),
            self._community_within[community],
            self._community_size,
            self._communities_layout,
        )

    def street_block(self, street: int) -> Block:
        """The street's district: one cell of the rings around the old town."""
        i, j = self._district_cells[street]
        width, height = self._street_size
        return Block(i * width - width / 2, j * height - height / 2, width, height)

    # --- what the layout is made of, worked out once ---------------------------------------

    @functools.cached_property
    def _street_of(self) -> dict[int, int]:
        return {community: street for street, community in self.grids}

    @functools.cached_property
    def _grid_within(self) -> tuple[int, ...]:
        """Each grid's place among its community's grids."""
        seen: Counter[tuple[int, int]] = Counter()
        within = []
        for place in self.grids:
            within.append(seen[place])
            seen[place] += 1
        return tuple(within)

    @functools.cached_property
    def _community_within(self) -> dict[int, int]:
        """Each community's place among its street's communities."""
        seen: Counter[int] = Counter()
        within = {}
        for street, community in self.grids:
            if community not in within:
                within[community] = seen[street]
                seen[street] += 1
        return within

    @functools.cached_property
    def _grids_layout(self) -> tuple[int, int]:
        return _rows_and_columns(max(Counter(self.grids).values()))

    @functools.cached_property
    def _communities_layout(self) -> tuple[int, int]:
        return _rows_and_columns(max(Counter(s for s, _c in set(self.grids)).values()))

    @functools.cached_property
    def _grid_size(self) -> tuple[float, float]:
        rows, columns = _rows_and_columns(self.buildings_per_grid)
        return columns * PITCH[1] + LANE, rows * PITCH[1] + LANE

    @functools.cached_property
    def _community_size(self) -> tuple[float, float]:
        rows, columns = self._grids_layout
        width, height = self._grid_size
        return columns * width + ROAD, rows * height + ROAD

    @functools.cached_property
    def _street_size(self) -> tuple[float, float]:
        rows, columns = self._communities_layout
        width, height = self._community_size
        return columns * width + AVENUE, rows * height + AVENUE

    @functools.cached_property
    def _district_cells(self) -> dict[int, tuple[int, int]]:
        """Each street's cell: the rings around the old town, the streets shuffled among
        them by the seed, so that another seed gives another town."""
        streets = sorted({s for s, _c in self.grids})
        cells = _ring_cells(len(streets))
        random.Random(f"{self.seed}:streets").shuffle(cells)
        return dict(zip(streets, cells, strict=True))

    def _pitch(self, grid: int) -> tuple[float, float]:
        """How far apart the grid's buildings stand along a row and between rows: each
        estate was built its own way."""
        rng = random.Random(f"{self.seed}:grid:{grid}")
        return rng.uniform(*PITCH), rng.uniform(*PITCH)


def _sub_block(
    outer: Block, index: int, size: tuple[float, float], layout: tuple[int, int]
) -> Block:
    """Block ``index`` of ``size`` inside ``outer``, whose blocks stand in ``layout`` (rows,
    columns), row by row from the north-west, centred with ``outer``'s road around them."""
    width, height = size
    rows, columns = layout
    row, column = divmod(index, columns)
    west = outer.west + (outer.width - columns * width) / 2
    north = outer.south + outer.height - (outer.height - rows * height) / 2
    return Block(west + column * width, north - (row + 1) * height, width, height)
