"""A changelist's rows rendered with the per-column work done once per page, not once per cell.

Django's ``items_for_result`` works out, for every cell of every row, how the column is read
(a model field, or a method of the admin, found by raising and catching ``FieldDoesNotExist``),
its CSS class, whether it links, the change page's URL (``reverse``) and the preserved filters
(a URL parsed and rebuilt). On a 50-row, nine-column list that is a third of the page's
CPU (33 ms of about 70 ms for the events list). ``fast_results`` asks those questions once a
column and gives the same HTML, cell for cell; ``tests/archives/test_result_rows.py`` compares
it with Django's on every list that uses it. Lists it does not cover (editable lists, popups)
get Django's own rows.
"""

import datetime
import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.templatetags.admin_list import (  # type: ignore[attr-defined]
    ResultList,
    _coerce_field_name,  # private, untyped: how Django names a column's CSS class
    items_for_result,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field, quote
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

#: Stands for the row's key in the change page's URL, reversed once for the page.
_KEY = "0f1e2d3c4b5a"


@dataclass
class _Column:
    name: Any
    index: int
    field: "models.Field[Any, Any] | None"
    attr: Any
    read: Callable[[Any], Any]
    links: bool
    #: What an empty value shows: the column's own, or the admin's.
    empty: str
    #: What a row whose related object is gone shows: always the admin's.
    missing: str


def fast_results(cl: Any) -> Iterator[ResultList]:
    """The rows of ``cl`` as Django's ``results(cl)`` gives them."""
    rows = list(cl.result_list)
    if cl.formset or cl.is_popup or cl.to_field or not rows:
        yield from results(cl)
        return
    columns = _columns(cl, rows[0])
    if columns is None:
        yield from results(cl)
        return
    url_template = _change_url_template(cl)
    for row in rows:
        yield ResultList(None, _cells(cl, row, columns, url_template))


def _columns(cl: Any, sample: Any) -> list[_Column] | None:
    """How each column is read, learnt from the page's first row; None where a column is read
    in a way only Django's own rows handle (a property, a lookup through relations)."""
    model_admin = cl.model_admin
    default_empty = model_admin.get_empty_value_display()
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        links = _links(cl, first, name)
        if links:
            first = False
        try:
            field, attr, _value = lookup_field(name, sample, model_admin)
        except ObjectDoesNotExist:
            return None
        read: Callable[[Any], Any]
        if field is not None:
            read = _attribute_reader(name)
        elif callable(name):
            read = name
        elif isinstance(name, str) and hasattr(model_admin, name) and name != "__str__":
            read = getattr(model_admin, name)
        else:
            return None
        empty = getattr(attr, "empty_value_display", default_empty)
        columns.append(_Column(name, index, field, attr, read, links, empty, default_empty))
    return columns


def _attribute_reader(name: str) -> Callable[[Any], Any]:
    def read(row: Any) -> Any:
        return getattr(row, name)

    return read


def _links(cl: Any, is_first: bool, name: Any) -> bool:
    if cl.list_display_links is None:
        return False
    if is_first and not cl.list_display_links:
        return True
    return name in cl.list_display_links


def _change_url_template(cl: Any) -> str | None:
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_KEY,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    return str(
        add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    )


def _cells(cl: Any, row: Any, columns: list[_Column], url_template: str | None) -> list[SafeString]:
    cells = []
    first = True
    for column in columns:
        classes = [f"field-{_coerce_field_name(column.name, column.index)}"]
        try:
            value = column.read(row)
        except ObjectDoesNotExist:
            shown: Any = column.missing
        else:
            shown = _shown(column, row, value, classes)
        row_class = f' class="{" ".join(classes)}"'
        if column.links:
            tag = "th" if first else "td"
            first = False
            if url_template is None:
                inner: str = _escaped(shown)
            else:
                url = url_template.replace(_KEY, str(quote(getattr(row, cl.pk_attname))), 1)
                inner = f'<a href="{_escaped(url)}">{_escaped(shown)}</a>'
            cells.append(mark_safe(f"<{tag}{row_class}>{inner}</{tag}>"))
        else:
            cells.append(mark_safe(f"<td{row_class}>{_escaped(shown)}</td>"))
    return cells


def _escaped(value: Any) -> str:
    """``conditional_escape(value)``, the same text, without the lazy-argument wrapper Django's
    ``escape`` goes through: asked for every cell and link, that wrapper was a tenth of a
    100-row list's function calls."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _shown(column: _Column, row: Any, value: Any, classes: list[str]) -> Any:
    """What Django's ``items_for_result`` shows for ``value`` in ``column``, adding its CSS
    classes to ``classes``."""
    if isinstance(value, str) and value.strip() == "":
        value = ""
    field = column.field
    if field is None or field.auto_created:
        if column.name == "action_checkbox":
            classes[:] = ["action-checkbox"]
        attr = column.attr
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        if isinstance(value, datetime.date | datetime.time):
            classes.append("nowrap")
        return display_for_value(value, column.empty, boolean)
    if isinstance(field.remote_field, models.ManyToOneRel):
        related = getattr(row, field.name)
        shown = column.empty if related is None else related
    else:
        shown = display_for_field(value, field, column.empty, avoid_link=column.links)
    if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
        classes.append("nowrap")
    return shown


def django_results(cl: Any) -> list[list[SafeString]]:
    """Django's own rows, cell by cell: what ``fast_results`` is compared with in the tests."""
    return [
        [mark_safe(str(cell)) for cell in items_for_result(cl, row, None)] for row in cl.result_list
    ]
