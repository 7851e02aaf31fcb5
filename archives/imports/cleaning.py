"""Text as office spreadsheets really hold it, made comparable before anything is matched or
validated: Excel and WPS files carry full-width digits and letters (２２２４…, （手机）), no-break
and ideographic spaces, zero-width characters pasted from web pages and chat apps, and line
breaks typed with Alt+Enter. Every value the import reads passes through ``clean_text`` first,
and every stored value it is matched against is cleaned the same way.

The ``read_*`` functions read one cell as what its column holds. They accept every way of
writing a value that can mean only one thing (1980年1月2日, +86 138-1234-5678) and refuse the
rest with a message that quotes the value; they never guess and never "repair" a number.
"""

import datetime as dt
import functools
import math
import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from archives.validators import normalize_id_number, parse_id_number

# Removed outright: zero-width space, non-joiner and joiner, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def clean_text(value: str) -> str:
    """Full-width to half-width (NFKC), invisible characters dropped, every run of white space
    (line breaks, U+00A0 and U+3000 included) one ordinary space, trimmed."""
    # Most cells (codes, numbers, dates) are ASCII: NFKC leaves those alone and there is
    # nothing invisible to drop, so they skip both (the import reads a million cells).
    if value.isascii():
        return " ".join(value.split())
    return _clean_unicode(value)


# Addresses, grids, tags and choices repeat on thousands of rows: each is cleaned once.
@functools.lru_cache(maxsize=2**16)
def _clean_unicode(value: str) -> str:
    return " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", value)).split())


_LINE_BREAK = re.compile(r"\r\n?")


def clean_free_text(value: str) -> str:
    """Free text (a medical history) keeps its characters and its line breaks, so that an
    exported file imports back unchanged; only invisible characters and the white space
    around it go."""
    return _LINE_BREAK.sub("\n", _INVISIBLE.sub("", value)).strip()


def cell_text(value) -> str:
    """A cell as text: numbers typed into text columns (phone, room) lose a trailing '.0'."""
    if type(value) is str:
        return value.strip()  # most cells, first
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


class CellRefused(ValueError):
    """A cell's value cannot be read as what its column holds; the message, for the person
    uploading, quotes the value and says how to write it."""


def _is_number(raw) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def _number_text(raw) -> str:
    """A number cell as the spreadsheet program shows it in its formula bar: whole numbers
    without ".0", and no more than the 15 significant digits it keeps (222405198001022000)."""
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e21:
        return str(int(Decimal(f"{raw:.15g}")))
    return str(raw)


# 2.22405E+17, as a CSV saved from a General-format column holds an 18-digit number.
_SCIENTIFIC = re.compile(r"^[0-9]+(\.[0-9]*)?[eE]\+?[0-9]+$")
_DECIMAL = re.compile(r"^[0-9]+\.[0-9]*$")


def read_id_number(raw, *, today: dt.date | None = None) -> str:
    """An ID number cell as its 18 characters (upper-case X), or "" for an empty cell; text
    that is not a valid ID number is refused, quoted. A number cell is refused too: a
    spreadsheet keeps only 15 significant digits of a number, so the last digits of an ID
    number typed into a General-format column are already lost. ``today`` (default: today)
    is the day no birth date may be after; an import passes one day for all its rows."""
    if _is_number(raw):
        raise CellRefused(_number_id_message(_number_text(raw)))
    if type(raw) is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
        text = raw  # as most cells hold it: nothing to clean
    else:
        text = clean_text(cell_text(raw))
    if text.startswith("'"):  # typed to make Excel keep the digits as text
        text = text[1:]
    if _SCIENTIFIC.match(text) or _DECIMAL.match(text):
        raise CellRefused(_number_id_message(text))
    id_number = normalize_id_number(text)
    if id_number:
        try:
            parse_id_number(id_number, today=today)
        except ValidationError as error:
            raise CellRefused(
                _("“%(value)s”: %(problem)s") % {"value": text, "problem": " ".join(error.messages)}
            ) from None
    return id_number


def _number_id_message(shown: str) -> str:
    return _(
        "“%(value)s” was stored as a number: Excel keeps only 15 digits of a number, so the "
        "last digits of this ID number are lost. Format the column as text (right-click → "
        "Format Cells → Text) or type an apostrophe ' before the number, then type the ID "
        "number again from the card."
    ) % {"value": shown}


# The day a spreadsheet's date serial counts from. Only five-digit serials (1927-05-18 on) are
# read as dates: a four-digit number in a birth date column is a year someone typed.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE = re.compile(
    r"^([0-9]{4}) ?[-/.年] ?([0-9]{1,2}) ?[-/.月] ?([0-9]{1,2}) ?日?"
    r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_SERIAL = re.compile(r"^[0-9]{5}(?:\.0+)?$")


def read_date(raw) -> dt.date | None:
    """A date cell, or None for an empty cell: a date or a date-time at midnight, an Excel date
    serial (29222, in a number cell or as text), or text such as 1980-01-02, 1980-1-2,
    1980/1/2, 1980.1.2, 1980年1月2日, 19800102, optionally with a midnight time."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time(0):
            raise CellRefused(_not_a_date(raw.isoformat(sep=" ")))
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _number_text(raw) if _is_number(raw) else clean_text(cell_text(raw))
    if not text:
        return None
    if _SERIAL.match(text):
        return _from_serial(float(text), text)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellRefused(_not_a_date(text))


def _from_serial(serial: float, shown: str) -> dt.date:
    today = dt.date.today()
    if serial.is_integer() and serial <= (today - _EXCEL_EPOCH).days:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    raise CellRefused(_not_a_date(shown))


def _not_a_date(text: str) -> str:
    return _("“%(text)s” is not a date; write it as 1956-03-14") % {"text": text}


_PHONE_PUNCTUATION = re.compile(r"[ ()\-]")
_NUMBER_CELL_TAIL = re.compile(r"\.0+$")  # 13812345678.0: a number cell saved as CSV text
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(1[3-9][0-9]{9})$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Area codes: 010 and 020-029 have three digits, every other one four.
_LANDLINE = re.compile(r"^(0[12][0-9]|0[3-9][0-9]{2})([0-9]{7,8})$")


def read_phone(raw) -> str:
    """A phone cell as it is stored: a mobile number as its 11 digits, a landline as its area
    code, a hyphen and its number (0433-1234567); "" for an empty cell. Accepts +86, 0086 or
    86 before a mobile number, spaces, hyphens and parentheses, and a number cell."""
    if type(raw) is str and len(raw) == 11 and _MOBILE.match(raw):
        return raw  # as most cells hold it
    shown = _number_text(raw) if _is_number(raw) else clean_text(cell_text(raw))
    if not shown:
        return ""
    digits = _NUMBER_CELL_TAIL.sub("", _PHONE_PUNCTUATION.sub("", shown))
    if match := _COUNTRY_CODE.match(digits):
        digits = match.group(1)
    if _MOBILE.match(digits):
        return digits
    if match := _LANDLINE.match(digits):
        return f"{match.group(1)}-{match.group(2)}"
    raise CellRefused(
        _(
            "“%(value)s” is not a phone number: write an 11-digit mobile number starting with "
            "13–19, or a landline with its area code, such as 0433-3221234."
        )
        % {"value": shown}
    )


# A coordinate as offices write it, once cleaned (full-width digits, points and minus signs are
# half-width by then): decimal degrees, a sign, a point typed as 。 by a Chinese input method,
# a degree sign after it.
_DEGREES = re.compile(r"^([+-]?)([0-9]+(?:\.[0-9]+)?)°?$")
#: Six decimals, as stored: about 0.1 m, finer than any phone's position.
_MICRODEGREE = Decimal("0.000001")


def read_latitude(raw) -> Decimal | None:
    """A latitude cell (decimal degrees, −90 to 90), or None for an empty cell."""
    value, shown = _read_degrees(raw)
    if value is not None and not -90 <= value <= 90:
        if abs(value) <= 180:  # 129.513312 in the latitude column is most likely a longitude
            raise CellRefused(
                _(
                    "“%(value)s” is not a latitude: it lies between −90 and 90. Are latitude "
                    "and longitude swapped?"
                )
                % {"value": shown}
            )
        raise CellRefused(
            _("“%(value)s” is not a latitude: it lies between −90 and 90") % {"value": shown}
        )
    return value


def read_longitude(raw) -> Decimal | None:
    """A longitude cell (decimal degrees, −180 to 180), or None for an empty cell."""
    value, shown = _read_degrees(raw)
    if value is not None and not -180 <= value <= 180:
        raise CellRefused(
            _("“%(value)s” is not a longitude: it lies between −180 and 180") % {"value": shown}
        )
    return value


def _read_degrees(raw) -> tuple[Decimal | None, str]:
    """Decimal degrees, rounded to the six decimals stored, and the cell as the message quotes
    it; (None, "") for an empty cell. Read from a number cell (as Excel stores a typed number)
    or from text such as ３０．２７４０８４, 30。274084, " 30.274084 ", −30.27 or 30.274084°.
    Degrees, minutes and seconds are refused: they are written too many ways to read without
    guessing."""
    if raw is None or raw == "":
        return None, ""
    if _is_number(raw):
        shown = repr(raw) if isinstance(raw, float) else str(raw)  # the shortest exact form
        if isinstance(raw, float) and not math.isfinite(raw):
            raise CellRefused(_not_degrees(shown))
        return Decimal(shown).quantize(_MICRODEGREE), shown
    shown = clean_text(cell_text(raw))
    if not shown:
        return None, ""
    text = shown.lstrip("'").replace("。", ".").replace("\u2212", "-")  # − typed as minus
    match = _DEGREES.match(text)
    if not match:
        raise CellRefused(_not_degrees(shown))
    return Decimal(match.group(1) + match.group(2)).quantize(_MICRODEGREE), shown


def _not_degrees(shown: str) -> str:
    return _(
        "“%(value)s” is not a coordinate: write decimal degrees, such as 42.904823 "
        "(degrees, minutes and seconds are not read)"
    ) % {"value": shown}
