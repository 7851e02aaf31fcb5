"""Match keys: how a grid code, building address or room written in a file is matched to the one
stored, whatever the spelling an office used. Both sides of a match go through the same key; the
stored spelling is never rewritten, the file's spelling only names what it matches.

Offices write the same building as 龙门路4号, 龙门路４号, 龙门路 4号 or 龙门路4号楼, and the same
room as 302, 302室 or 0302. The keys drop what does not tell two places apart: white space and
full-width forms (``clean_text``), case, leading zeros of numbers and a trailing word that only
says what kind of place it is (号楼, 栋, 室 …).
"""

import difflib
import functools
import re

from archives.imports.cleaning import clean_text

_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+")
# A trailing word that only says what kind of place the name is; 号 too: 4号楼, 4号, 4栋 and 4
# are one building on one road.
_BUILDING_SUFFIX = re.compile(r"(号楼|号栋|号院|号|楼|栋|幢|座)$")
_ROOM_SUFFIX = re.compile(r"(号房|室|房|号|户)$")


def _numbers_unpadded(text: str) -> str:
    return _NUMBER.sub(lambda m: str(int(m.group())), text)


@functools.lru_cache(maxsize=65536)  # a file repeats its places row after row
def grid_key(code: str) -> str:
    """``ga1A``, ``ＧＡ１Ａ`` and `` GA1A `` are one grid."""
    return _SPACE.sub("", clean_text(code)).upper()


@functools.lru_cache(maxsize=65536)
def building_key(address: str) -> str:
    """龙门路１号, 龙门路 1号, 龙门路1号楼 and 龙门路01号 are one building."""
    text = _SPACE.sub("", clean_text(address)).upper()
    return _numbers_unpadded(_BUILDING_SUFFIX.sub("", text))


@functools.lru_cache(maxsize=65536)
def room_key(room: str) -> str:
    """302, 302室, 0302 and ３０２ are one room."""
    text = _SPACE.sub("", clean_text(room)).upper()
    return _numbers_unpadded(_ROOM_SUFFIX.sub("", text))


def _without_numbers(key: str) -> str:
    return _NUMBER.sub("#", key)


def near_matches(key: str, candidates: dict[str, str], *, limit: int = 3) -> list[str]:
    """The stored spellings (``candidates``: key -> spelling) that a new key may have meant:
    the same name with another number (龙门路5号 beside 龙门路4号), or one or two characters
    apart (龙们路4号)."""
    if not key or not candidates:
        return []
    shape = _without_numbers(key)
    keys = [other for other in candidates if _without_numbers(other) == shape and other != key]
    close = difflib.get_close_matches(key, list(candidates), n=limit, cutoff=0.75)
    keys += [other for other in close if other not in keys and other != key]
    keys.sort(key=lambda other: difflib.SequenceMatcher(None, key, other).ratio(), reverse=True)
    return [candidates[other] for other in keys[:limit]]
