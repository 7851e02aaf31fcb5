"""Text as office spreadsheets really hold it, made comparable before anything is matched or
validated: Excel and WPS files carry full-width digits and letters (２２２４…, （手机）), no-break
and ideographic spaces, zero-width characters pasted from web pages and chat apps, and line
breaks typed with Alt+Enter. Every value the import reads passes through ``clean_text`` first,
and every stored value it is matched against is cleaned the same way.
"""

import re
import unicodedata

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
