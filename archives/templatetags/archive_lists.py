"""Each cell of a changelist row carries its column's name (``data-label``), so that on a
phone the row can be laid out as a card with labelled lines (portal.css) instead of a table
wider than the screen."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

# Django renders every cell as <td class="field-…"> or <th class="field-…"> (items_for_result).
_CELL_START = re.compile(r"^<(td|th)\b")


def _with_attribute(cell: str, attribute: str) -> str:
    return _CELL_START.sub(lambda start: start[0] + attribute, cell, 1)


@register.filter
def labelled_cells(cells, headers) -> list:
    """The rendered cells of one row, each with ``data-label`` = its column's header text."""
    labelled = []
    for cell, header in zip(cells, headers, strict=False):
        text = header.get("text", "")
        if "<" in str(text):  # the select-all checkbox's header is markup, not a name
            labelled.append(cell)
            continue
        # escape() makes the header text safe inside the attribute; the cell is Django's markup.
        attribute = f' data-label="{escape(text)}"'
        labelled.append(mark_safe(_with_attribute(str(cell), attribute)))
    return labelled
