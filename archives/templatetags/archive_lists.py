"""Each cell of a changelist row carries its column's name (``data-label``), so that on a
phone the row can be laid out as a card with labelled lines (portal.css) instead of a table
wider than the screen."""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers, result_hidden_fields
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

from archives.admin.result_rows import fast_results

register = template.Library()

# Django renders every cell as <td class="field-…"> or <th class="field-…"> (items_for_result).
_CELL_STARTS = ("<td ", "<td>", "<th ", "<th>")


def _with_attribute(cell: str, attribute: str) -> str:
    # Sliced rather than matched with a pattern: this runs for every cell of every row.
    if cell.startswith(_CELL_STARTS):
        return cell[:3] + attribute + cell[3:]
    return cell


@register.filter
def cell_labels(headers) -> list[str | None]:
    """Each column's ``data-label`` attribute, worked out once for the whole table (the
    headers' texts are lazy translations: asked per cell, a 50-row page translated them 450
    times). None for the select-all checkbox's column, whose header is markup, not a name."""
    labels: list[str | None] = []
    for header in headers:
        text = str(header.get("text", ""))
        # escape() makes the header text safe inside the attribute.
        labels.append(None if "<" in text else f' data-label="{escape(text)}"')
    return labels


@register.filter
def labelled_row(cells, labels) -> str:
    """One row's ``<tr>``: its rendered cells, each with its column's ``data-label``
    (``cell_labels``); the cells themselves are Django's markup. Joined here rather than in a
    template loop, which rendered a dozen nodes a row (a tenth of a list page's CPU)."""
    # conditional_escape: Django's cells are safe markup and pass unchanged; anything else is
    # escaped, as {{ cell }} in the template would have.
    labelled = [
        conditional_escape(cell) if label is None else _with_attribute(str(cell), label)
        for cell, label in zip(cells, labels, strict=False)
    ]
    return mark_safe("<tr>" + "".join(labelled) + "</tr>")


def fast_result_list(cl: Any) -> dict[str, Any]:
    """Django's ``result_list`` with the rows from ``archives.admin.result_rows``."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(fast_results(cl)),
    }


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    """``{% fast_result_list cl %}``: ``{% result_list cl %}`` with the same rows, cheaper; the
    same ``change_list_results.html`` templates render them."""
    return InclusionAdminNode(
        parser,
        token,
        func=fast_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
