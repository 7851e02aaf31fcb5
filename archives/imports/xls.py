"""What an Excel 97-2003 workbook (.xls) says that calamine does not give: which cells hold
formulas (calamine reads their last computed values, which the import must not take as typed
values) and which rows and columns are hidden, per sheet.

An .xls is an OLE2 compound file holding a "Workbook" stream of BIFF records; this reads the
container's allocation tables just far enough to follow that one stream, then walks the
records. Anything that does not add up raises ``NotReadable`` (the file is refused as damaged).
"""

import struct
from dataclasses import dataclass, field

_FREE_OR_END = 0xFFFFFFFA  # sector numbers from here up are markers, not sectors
_BOF, _EOF, _BOUNDSHEET = 0x0809, 0x000A, 0x0085
_FORMULA_RECORDS = {0x0006, 0x0221, 0x04BC}  # FORMULA, ARRAY, SHRFMLA
_ROW, _COLINFO = 0x0208, 0x007D
_MAX_SECTORS = 1 << 20


class NotReadable(ValueError):
    pass


@dataclass
class SheetFacts:
    formulas: bool = False
    hidden_rows: tuple[int, ...] = ()  # numbered from 1, as the program shows them
    hidden_columns: frozenset[int] = field(default_factory=frozenset)  # 0-based


def scan(data: bytes) -> list[SheetFacts]:
    """One ``SheetFacts`` per sheet, in the workbook's order."""
    stream = _workbook_stream(data)
    offsets = _sheet_offsets(stream)
    return [_sheet_facts(stream, offset) for offset in offsets]


def _records(stream: bytes, position: int):
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + length]
        yield kind, body
        position += 4 + length


def _sheet_offsets(stream: bytes) -> list[int]:
    offsets = []
    for kind, body in _records(stream, 0):
        if kind == _BOUNDSHEET and len(body) >= 4:
            offsets.append(struct.unpack_from("<I", body)[0])
        elif kind == _EOF:
            break
    return offsets


def _sheet_facts(stream: bytes, offset: int) -> SheetFacts:
    facts = SheetFacts()
    hidden_rows: list[int] = []
    hidden_columns: set[int] = set()
    depth = 0
    for kind, body in _records(stream, offset):
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif kind in _FORMULA_RECORDS:
            facts.formulas = True
        elif kind == _ROW and len(body) >= 14:
            row, flags = struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, 12)[0]
            if flags & 0x20:  # fDyZero: the row is hidden
                hidden_rows.append(row + 1)
        elif kind == _COLINFO and len(body) >= 10:
            first, last = struct.unpack_from("<HH", body)
            if struct.unpack_from("<H", body, 8)[0] & 0x01:  # fHidden
                hidden_columns.update(range(first, min(last, 255) + 1))
    facts.hidden_rows = tuple(hidden_rows)
    facts.hidden_columns = frozenset(hidden_columns)
    return facts


def _workbook_stream(data: bytes) -> bytes:
    if len(data) < 512:
        raise NotReadable("too short")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    if sector_size not in (512, 4096) or mini_size != 64:
        raise NotReadable("unusual sector sizes")
    (fat_count, first_directory, _transaction, cutoff, first_mini_fat, mini_fat_count) = (
        struct.unpack_from("<IIIIII", data, 0x2C)
    )
    first_difat, difat_count = struct.unpack_from("<II", data, 0x44)

    def sector(number: int) -> bytes:
        start = (number + 1) * sector_size
        if number >= _FREE_OR_END or start >= len(data):
            raise NotReadable("sector out of range")
        return data[start : start + sector_size]

    fat_sectors = [n for n in struct.unpack_from("<109I", data, 0x4C) if n < _FREE_OR_END]
    difat = first_difat
    for _ in range(difat_count):
        if difat >= _FREE_OR_END:
            break
        entries = struct.unpack(f"<{sector_size // 4}I", sector(difat))
        fat_sectors += [n for n in entries[:-1] if n < _FREE_OR_END]
        difat = entries[-1]
    fat: list[int] = []
    for number in fat_sectors[:fat_count]:
        fat += struct.unpack(f"<{sector_size // 4}I", sector(number))

    def chain(start: int, table: list[int]) -> list[int]:
        numbers: list[int] = []
        while start < _FREE_OR_END:
            if start >= len(table) or len(numbers) > _MAX_SECTORS:
                raise NotReadable("broken chain")
            numbers.append(start)
            start = table[start]
        return numbers

    directory = b"".join(sector(n) for n in chain(first_directory, fat))
    streams: dict[str, tuple[int, int, int]] = {}  # name: (kind, start sector, size)
    for position in range(0, len(directory) - 127, 128):
        entry = directory[position : position + 128]
        length = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace")
        kind = entry[66]
        start, size = struct.unpack_from("<II", entry, 116)
        streams[name] = (kind, start, size)
    root = next((e for e in streams.values() if e[0] == 5), None)
    found = streams.get("Workbook") or streams.get("Book")
    if root is None or found is None:
        raise NotReadable("no workbook stream")
    _kind, start, size = found
    if size >= cutoff:
        stream = b"".join(sector(n) for n in chain(start, fat))
    else:  # a small stream lives in the mini stream, in 64-byte pieces
        mini_fat: list[int] = []
        for number in chain(first_mini_fat, fat)[:mini_fat_count]:
            mini_fat += struct.unpack(f"<{sector_size // 4}I", sector(number))
        mini_stream = b"".join(sector(n) for n in chain(root[1], fat))
        stream = b"".join(
            mini_stream[n * mini_size : (n + 1) * mini_size] for n in chain(start, mini_fat)
        )
    if len(stream) < size:
        raise NotReadable("stream shorter than its entry")
    return stream[:size]
