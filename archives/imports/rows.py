"""What every import shares: the plan (rows to write, or every error with its row and column),
reading a row's cells, matching the header row, and where a row's household is: grid code,
building address, unit, floor and room, found in the user's grids (applying a plan creates
the missing ones through ``services.households_ensure``).
"""

import functools
import hashlib
import heapq
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from archives import scope
from archives.imports.cleaning import CellRefused, cell_text, clean_free_text, clean_text
from archives.imports.headers import field_of_spelling, header_keys
from archives.imports.headers import resource_column_names as resource_column_names
from archives.imports.matching import building_key, grid_key, near_matches, room_key
from archives.imports.reading import FileRefused, Table
from archives.model_meta import concrete_field
from archives.models import Building, Grid, Household
from archives.places import Place, StoredBuilding
from archives.spreadsheets import unneutralise

ID_CHUNK = 5000
#: How often (in rows written) the one-by-one applies report a job's progress.
PROGRESS_EVERY = 1000

#: Grid codes, addresses and rooms repeat row after row: each spelling is cleaned once a file.
_clean_place = functools.lru_cache(maxsize=65536)(clean_text)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    position: int = field(default=0, compare=False, repr=False)  # the column's place in the file


@dataclass(slots=True)  # one for each of up to 100,000 rows
class PlannedRow:
    row: int
    action: str  # "new" / "update" / "unchanged"
    values: dict  # for an update, only the fields the file says something about
    place: Place  # as stored where the building and household exist
    #: The tags the row names; None when the file has no tags column (the stored ones stay).
    tag_ids: AbstractSet[int] | None = frozenset()
    existing_id: int | None = None
    #: The stored resident's version when the plan was made: an edit saved after it stops the
    #: import instead of being overwritten.
    existing_version: int | None = None
    #: For an update: each field that changes, as (field, old, new) in words the preview shows
    #: (masked where the user may not read the value).
    #: (Shared empty defaults: a 100,000-row file would otherwise hold 100,000 empty ones.)
    changes: list[tuple[str, str, str]] | tuple = ()
    #: What the user must acknowledge about this row: REVIVAL, CLEARING.
    warnings: frozenset[str] = frozenset()
    label: str = ""  # the row's ID number as the preview shows it (masked if need be)
    title: str = ""  # the row's name as the preview shows it


#: What a preview may ask the user to acknowledge with a tick before the import is confirmed.
IGNORED_HEADERS, REVIVAL, CLEARING, CREATION = "ignored_headers", "revival", "clearing", "creation"
ACKNOWLEDGEMENTS = (IGNORED_HEADERS, REVIVAL, CLEARING, CREATION)


@dataclass
class Creation:
    """A building or household the import would create, with the stored ones it may have
    meant (the preview shows them side by side)."""

    words: str
    near: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: What was read: the sheet, its header row, the headers recognised and those ignored, and
    #: the rows the workbook hides (imported, with a warning).
    sheet: str = ""
    header_row: int = 1
    recognised: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: list[str] = field(default_factory=list)  # their headers
    new_buildings: list[Creation] = field(default_factory=list)
    new_households: list[Creation] = field(default_factory=list)
    new_households_count: int = 0
    #: Vacant households the import makes occupied: (id, words).
    occupied: list[tuple[int, str]] = field(default_factory=list)
    #: Changes per column, over every updated row.
    column_changes: Counter = field(default_factory=Counter)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ("new", "update", "unchanged")}

    def acknowledgements(self) -> list[str]:
        """What the user must tick before confirming, in the order the preview asks."""
        needed = set()
        if self.ignored:
            needed.add(IGNORED_HEADERS)
        if self.new_buildings or self.new_households_count:
            needed.add(CREATION)
        for row in self.rows:
            needed |= row.warnings
        return [code for code in ACKNOWLEDGEMENTS if code in needed]

    def fingerprint(self) -> str:
        """A digest of the stored records this plan matched, the versions it read and what it
        would create or make occupied: a change to any of them between preview and
        confirmation changes it."""
        matched = sorted(
            (r.row, r.existing_id, r.existing_version or 0)
            for r in self.rows
            if r.existing_id is not None
        )
        creations = [c.words for c in self.new_buildings], self.new_households_count
        occupied = sorted(pk for pk, _words in self.occupied)
        return hashlib.sha256(repr((matched, creations, occupied)).encode()).hexdigest()

    def read_from(self, table: Table, match: "HeaderMatch") -> None:
        self.sheet, self.header_row, self.hidden_rows = (
            table.sheet,
            table.header_row,
            tuple(table.hidden_rows),
        )
        self.recognised, self.ignored = list(match.recognised), list(match.ignored)
        # A hidden column without a header carries nothing the import reads.
        self.hidden_columns = [
            table.headers[i]
            for i in sorted(table.hidden_columns)
            if i < len(table.headers) and table.headers[i]
        ]

    def finish(self) -> None:
        self.errors.sort(key=lambda e: (e.row, e.position))


@dataclass(frozen=True)
class HeaderMatch:
    """How a header row was understood: the column of each field the file has, the headers as
    written that were recognised, and those that were not (the preview shows both)."""

    columns: dict[str, int]  # field key -> 0-based column
    recognised: list[str]
    ignored: list[str]

    def has(self, key: str) -> bool:
        return key in self.columns


def match_header(
    headers: list[str],
    names: dict[str, list[str]],
    required: list[str],
    *,
    hidden: frozenset[int] = frozenset(),
    where: str = "",
) -> HeaderMatch:
    """Find each field's column by its header in any language or a common other spelling
    (``headers.HEADER_ALIASES``), cleaned like every cell (full-width parentheses, stray
    spaces), without case and without a remark in parentheses (联系电话（手机）); a visible
    column wins over a hidden one of the same meaning. Refuses the file if a required column
    is missing, or if two visible columns hold the same field (which one did the person
    mean?). ``where`` ("sheet “居民”, row 3") says in a refusal which header row was read."""
    field_of = field_of_spelling(names)
    found: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        key = next((field_of[k] for k in header_keys(header) if k in field_of), None)
        if key is not None:
            found.setdefault(key, []).append(index)
    columns: dict[str, int] = {}
    for key, candidates in found.items():
        visible = [i for i in candidates if i not in hidden]
        chosen = visible or candidates
        if len(chosen) > 1:
            first, second = chosen[:2]
            raise FileRefused(
                _(
                    "Columns %(first)s and %(second)s both hold “%(field)s”: delete one of "
                    "them, or hide the one that should not be imported."
                )
                % {
                    "first": _column_words(headers, first),
                    "second": _column_words(headers, second),
                    "field": names[key][0],
                }
            )
        columns[key] = chosen[0]
    missing = [names[key][0] for key in required if key not in columns]
    if missing:
        lacks = _("The header row lacks these columns: %(columns)s. Start from the template.") % {
            "columns": "、".join(missing)
        }
        if where:
            lacks = _("Read the header from %(where)s. %(lacks)s") % {
                "where": where,
                "lacks": lacks,
            }
        raise FileRefused(lacks)
    used = set(columns.values())
    return HeaderMatch(
        columns=columns,
        recognised=[headers[i] for i in sorted(used)],
        ignored=[h for i, h in enumerate(headers) if i not in used and h.strip()],
    )


def table_header(table: Table, names: dict[str, list[str]], required: list[str]) -> HeaderMatch:
    """``match_header`` for a table read from a file: its hidden columns, and its sheet and
    header row named in a refusal."""
    return match_header(
        table.headers, names, required, hidden=table.hidden_columns, where=table.where()
    )


def column_letter(index: int) -> str:
    """A 0-based column as the spreadsheet program names it: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_words(headers: list[str], index: int) -> str:
    return _("“%(header)s” (column %(letter)s)") % {
        "header": headers[index],
        "letter": column_letter(index),
    }


#: Columns of free text: their line breaks and characters are kept as written.
FREE_TEXT_COLUMNS = frozenset({"medical_history", "note"})


class RowReader:
    """One row's cells by column key; records at most one error per cell."""

    # An import holds one for each of its (up to 100,000) rows while it plans them.
    __slots__ = ("bad_columns", "cells", "columns", "errors", "failed", "headers", "number")

    def __init__(self, number, cells, columns, headers, errors) -> None:
        self.number, self.cells, self.columns = number, cells, columns
        self.headers, self.errors = headers, errors
        self.failed = False
        self.bad_columns: set[str] | None = None  # made at the first error: most rows have none

    def has(self, key: str) -> bool:
        """Whether the file has this field's column at all."""
        return key in self.columns

    def cell(self, key: str):
        index = self.columns.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, key: str) -> str:
        """The cell as text, cleaned (``clean_text``) as every value it is matched against."""
        # ``cell`` written out: a 100,000-row import reads 1.2 million cells as text.
        index = self.columns.get(key)
        if index is None or index >= len(self.cells):
            return ""
        raw = self.cells[index]
        if raw is None or raw == "":
            return ""  # most optional cells: nothing to clean
        value = cell_text(raw)
        value = clean_free_text(value) if key in FREE_TEXT_COLUMNS else clean_text(value)
        if not value.startswith(("=", "'")):
            return value  # as most cells are
        if value.startswith("="):
            self.error(key, _("formulas are not accepted; type the value itself"))
            return ""
        return unneutralise(value)  # an exported file imports back as it was

    def read(self, key: str, reader):
        """The cell read by ``reader`` (one of archives.imports.cleaning's ``read_*``), or None
        with the cell's error recorded when the reader refuses it."""
        value = self.cell(key)
        if isinstance(value, str) and value.strip().startswith("="):
            self.error(key, _("formulas are not accepted; type the value itself"))
            return None
        if isinstance(value, str):
            value = unneutralise(value.strip())
        try:
            return reader(value)
        except CellRefused as refused:
            self.error(key, str(refused))
            return None

    def error(self, key: str, message: str) -> None:
        self.failed = True
        if self.bad_columns is None:
            self.bad_columns = set()
        if key in self.bad_columns:
            return  # one problem per cell: the first says what to fix
        self.bad_columns.add(key)
        column = self.headers.get(key, key)
        self.errors.append(RowError(self.number, column, message, self.columns.get(key, 0)))


def rows_of(table: Table, names: dict[str, list[str]], required: list[str], errors: list):
    """Each data row of ``table`` as a ``RowReader``."""
    columns = table_header(table, names, required).columns
    headers = {key: table.headers[index] for key, index in columns.items()}
    for number, cells in table.rows:
        yield RowReader(number, cells, columns, headers, errors)


def column_values(table: Table, names: dict[str, list[str]], key: str) -> set[str]:
    """Every value of one column, for loading what the rows refer to in a few queries."""
    columns = table_header(table, names, []).columns
    index = columns.get(key)
    if index is None:
        return set()
    return {clean_text(cell_text(cells[index])) for _n, cells in table.rows if index < len(cells)}


def choice_spellings(model: type[models.Model], names: list[str]) -> dict[str, dict[str, str]]:
    """Each choice field's stored values, reachable from the value or its label in any language."""
    spellings: dict[str, dict[str, str]] = {}
    for name in names:
        table = spellings.setdefault(name, {})
        for value, label in concrete_field(model, name).flatchoices:
            table[value] = value
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    table[str(label)] = value
    return spellings


def read_choice(
    row: RowReader, model: type[models.Model], spellings: dict, key: str, *, default: str
) -> str:
    text = row.text(key)
    if not text:
        return default
    value = spellings[key].get(text)
    if value is None:
        allowed = "、".join(str(label) for _v, label in concrete_field(model, key).flatchoices)
        row.error(
            key, _("“%(text)s” is not one of: %(allowed)s") % {"text": text, "allowed": allowed}
        )
        return default
    return value


@dataclass
class Places:
    """The grids a file names, which of them the user may write into, and their buildings and
    households, loaded once for the whole file.

    Grid codes, addresses and rooms are matched by their keys (``archives.imports.matching``):
    a row names the stored building or household however it spells it, and the place it gets
    carries the stored spelling. A building or room that does not exist yet takes the spelling
    of the first row that names it, so that later rows spelling it otherwise join it.
    """

    grids: dict[str, int]  # grid key -> id, every grid named in the file
    writable: set[int]
    buildings: dict[tuple[int, str], StoredBuilding]  # by (grid, address)
    households: dict[tuple, int]  # (grid_id, address, unit, floor, room) as stored -> id
    household_status: dict[int, str] = field(default_factory=dict)
    _addresses: dict[tuple[int, str], list[str]] = field(default_factory=dict)  # by key
    #: (grid, address, unit, floor, room key) -> stored rooms; made at the first room a file
    #: spells otherwise than stored (``rooms_by_key``): a file of stored households never needs
    #: it, and it held 20 MB for 100,000 of them.
    _rooms: dict[tuple, list[str]] | None = None
    _first_spelling: dict[tuple, str] = field(default_factory=dict)
    _resolved: dict[tuple, str] = field(default_factory=dict)  # a spelling seen, once resolved

    @classmethod
    def load(cls, grid_codes: set[str], user, *, for_model: type[models.Model]) -> "Places":
        wanted = {grid_key(code) for code in grid_codes}
        # A city has a few thousand grids at most: reading their codes beats a query per
        # spelling of each code.
        grids = {
            grid_key(code): pk
            for code, pk in Grid.objects.values_list("code", "pk")
            if grid_key(code) in wanted
        }
        writable = set(
            scope.writable(
                Grid.objects.filter(pk__in=grids.values()), user, for_model=for_model
            ).values_list("pk", flat=True)
        )
        buildings = {
            (b.grid_id, b.address): StoredBuilding(b.pk, b.units, b.floors)
            for b in Building.objects.filter(grid_id__in=writable).only(
                "grid_id", "address", "units", "floors"
            )
        }
        households, status = {}, {}
        rows = Household.objects.filter(building__grid_id__in=writable).values_list(
            "pk", "building__grid_id", "building__address", "unit", "floor", "room", "status"
        )
        # The building's address once, not a copy for each of its households; the rows read
        # as they come, not all held first.
        addresses = {key: key[1] for key in buildings}
        for pk, grid_id, address, unit, floor, room, household_status in rows.iterator(
            chunk_size=ID_CHUNK
        ):
            address = addresses.get((grid_id, address), address)
            households[(grid_id, address, unit, floor, room)] = pk
            status[pk] = household_status
        places = cls(grids, writable, buildings, households, status)
        for grid_id, address in buildings:
            places._addresses.setdefault((grid_id, building_key(address)), []).append(address)
        return places

    def rooms_by_key(self) -> dict[tuple, list[str]]:
        """The stored rooms of each floor by their key: (grid, address, unit, floor, key)."""
        if self._rooms is None:
            self._rooms = {}
            for grid_id, address, unit, floor, room in self.households:
                key = (grid_id, address, unit, floor, room_key(room))
                self._rooms.setdefault(key, []).append(room)
        return self._rooms

    def grid_id(self, code: str) -> int | None:
        return self.grids.get(grid_key(code))

    def address(self, row: "RowReader", grid_id: int, written: str, *, column="building") -> str:
        """The stored spelling of the building ``written`` names in the grid, or the spelling
        a new building will have."""
        if (grid_id, written) in self.buildings:
            return written
        if (grid_id, written) in self._resolved:
            return self._resolved[(grid_id, written)]
        key = building_key(written)
        stored = self._addresses.get((grid_id, key), [])
        if written in stored or len(stored) == 1:
            return written if written in stored else stored[0]
        if stored:
            row.error(
                column,
                _("“%(text)s” could be any of these buildings: %(found)s; write it as one of them")
                % {"text": written, "found": "、".join(sorted(stored))},
            )
            return written
        spelling = self._first_spelling.setdefault(("building", grid_id, key), written)
        self._resolved[(grid_id, written)] = spelling
        return spelling

    def room(self, row: "RowReader", grid_id: int, address: str, unit, floor, written: str) -> str:
        """The stored spelling of the room ``written`` names, or the spelling of a new one."""
        place = (grid_id, address, unit, floor, written)
        if place in self.households:
            return written
        if place in self._resolved:
            return self._resolved[place]
        key = room_key(written)
        stored = self.rooms_by_key().get((grid_id, address, unit, floor, key), [])
        if written in stored or len(stored) == 1:
            return written if written in stored else stored[0]
        if stored:
            row.error(
                "room",
                _("“%(text)s” could be any of these rooms: %(found)s; write it as one of them")
                % {"text": written, "found": "、".join(sorted(stored))},
            )
            return written
        spelling = self._first_spelling.setdefault(("room", *place[:4], key), written)
        self._resolved[place] = spelling
        return spelling

    def creations(self, places: set[Place], *, limit: int = 200) -> tuple[list, list, int]:
        """The buildings and households that writing ``places`` would create, each with the
        stored ones it may have meant; households listed up to ``limit`` (and counted)."""
        new_buildings = sorted({(p.grid_id, p.address) for p in places} - self.buildings.keys())
        codes = {pk: code for code, pk in self.grids.items()}
        by_grid: dict[int, dict[str, str]] = {}
        for grid_id, address in self.buildings:
            by_grid.setdefault(grid_id, {})[building_key(address)] = address
        buildings = [
            Creation(
                f"{codes.get(grid_id, '')} {address}",
                near_matches(building_key(address), by_grid.get(grid_id, {})),
            )
            for grid_id, address in new_buildings
        ]
        new_households = [p for p in places if p not in self.households]
        shown = heapq.nsmallest(limit, new_households)  # a large file lists the first few
        floors = {place[:4] for place in shown}
        rooms_of: dict[tuple, dict[str, str]] = {}
        for grid_id, address, unit, floor, room in self.households:
            if (grid_id, address, unit, floor) in floors:
                rooms_of.setdefault((grid_id, address, unit, floor), {})[room_key(room)] = room
        households = []
        for place in shown:
            grid_id, address, unit, floor, room = place
            near = near_matches(room_key(room), rooms_of.get((grid_id, address, unit, floor), {}))
            words = f"{codes.get(grid_id, '')} {address} {unit}-{floor}-{room}"
            households.append(Creation(words, [f"{address} {unit}-{floor}-{n}" for n in near]))
        return buildings, households, len(new_households)


def plan_creations(plan: ImportPlan, places: Places, *, households: bool = True) -> None:
    """List in ``plan`` the buildings (and households) that applying it would create: every
    import asks for a tick before it creates one, lest it be a stored one spelled otherwise."""
    wanted = {r.place for r in plan.rows if r.action != "unchanged"}
    buildings, new_households, count = places.creations(wanted)
    plan.new_buildings = buildings
    if households:
        plan.new_households, plan.new_households_count = new_households, count


def read_grid(row: RowReader, places: Places) -> int | None:
    """The grid id of the row's grid code, with an error if it is missing, unknown or outside
    the user's grids."""
    code = _clean_place(row.text("grid"))
    grid_id = places.grid_id(code)
    if not code:
        row.error("grid", _("the grid code is missing"))
    elif grid_id is None:
        row.error("grid", _("unknown grid code “%(code)s”") % {"code": code})
    elif grid_id not in places.writable:
        row.error("grid", _("grid “%(code)s” is outside your area") % {"code": code})
    return grid_id


def read_whole_number(row: RowReader, key: str) -> int:
    text = row.text(key)
    try:
        number = int(float(text))
        if not 1 <= number <= 32767:
            raise ValueError
    except ValueError:
        row.error(key, _("“%(text)s” is not a whole number from 1 up") % {"text": text})
        return 0
    return number


def read_place(row: RowReader, places: Places) -> Place | None:
    """The household's place (None when a part is missing), with an error for each part
    that is missing, unknown, outside the user's grids or beyond the building's size. The
    address and room are the stored spellings of the building and household they match."""
    grid_id = read_grid(row, places)
    address = _clean_place(row.text("building"))
    if not address:
        row.error("building", _("the building address is missing"))
    elif grid_id in places.writable:
        address = places.address(row, grid_id, address)
    numbers = {key: read_whole_number(row, key) for key in ("unit", "floor")}
    room = _clean_place(row.text("room"))
    if not room:
        row.error("room", _("the room is missing"))
    elif address and grid_id in places.writable:
        room = places.room(row, grid_id, address, numbers["unit"], numbers["floor"], room)
    unit, floor = numbers["unit"], numbers["floor"]
    if grid_id is None or unit is None or floor is None:
        return None  # the row says which part is missing
    building = places.buildings.get((grid_id, address))
    if building and unit > building.units:
        row.error("unit", _("the building has only %(n)s units") % {"n": building.units})
    if building and floor > building.floors:
        row.error("floor", _("the building has only %(n)s floors") % {"n": building.floors})
    return Place(grid_id, address, unit, floor, room)


def import_reason(*, filename: str, user) -> str:
    return _("import of %(file)s by %(user)s") % {"file": filename, "user": user.get_username()}
