"""Text as office spreadsheets really hold it, made comparable before anything is matched or
validated: Excel and WPS files carry full-width digits and letters (２２２４…, （手机）), no-break
and ideographic spaces, zero-width characters pasted from web pages and chat apps, and line
breaks typed with Alt+Enter. Every value the import reads passes through ``clean_text`` first,
and every stored value it is matched against is cleaned the same way.
"""

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from archives.imports.reading import cell_text
from archives.validators import normalize_id_number, validate_phone

# Removed outright: zero-width space, non-joiner and joiner, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# NFKC turns U+00A0 and U+3000 into ordinary spaces; line breaks and tabs join as one space.
_RUNS_OF_SPACE = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Full-width to half-width (NFKC), invisible characters dropped, every run of white space
    (line breaks included) one ordinary space, trimmed."""
    text = unicodedata.normalize("NFKC", value)
    text = _INVISIBLE.sub("", text)
    return _RUNS_OF_SPACE.sub(" ", text).strip()


class CellRefused(ValueError):
    """A cell's value cannot be read as what its column holds; the message, for the person
    uploading, quotes the value and says how to write it."""


def read_id_number(raw) -> str:
    """An ID number cell as its 18 characters (upper-case X), or "" for an empty cell."""
    return normalize_id_number(clean_text(cell_text(raw)))


def read_date(raw) -> dt.date | None:
    """A date cell (a date, or text such as 1956-03-14), or None for an empty cell."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = clean_text(cell_text(raw))
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise CellRefused(
            _("“%(text)s” is not a date; write it as 1956-03-14") % {"text": text}
        ) from None


def read_phone(raw) -> str:
    """A phone cell as the digits to store, or "" for an empty cell."""
    text = clean_text(cell_text(raw))
    if text:
        try:
            validate_phone(text)
        except ValidationError as error:
            raise CellRefused(" ".join(error.messages)) from None
    return text
