"""Cells that are safe to open in a spreadsheet program.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be read
as a formula by Excel, WPS or LibreOffice ("CSV injection"). Every exported text cell goes
through ``neutralise``, which puts an apostrophe in front: the program shows the text as typed
and never evaluates it. django-import-export's own escaping strips only a leading ``=``, and
only on admin exports.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
