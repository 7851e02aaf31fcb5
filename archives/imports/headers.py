"""The words a header row is recognised by: each column's header as the export writes it, in
every language the portal speaks, and the other headers community offices write for the same
column (手机号, 公民身份号码 …). Reading uses them to find the header row below any title rows;
matching uses them to know which field each column holds.
"""

import functools
import re

from django.utils import translation
from import_export.resources import ModelResource

from archives.imports.cleaning import clean_text
from archives.resources import BuildingResource, HouseholdResource, ResidentResource

#: Headers offices write for a column besides the export's own, by field key. A spelling
#: belongs to one field only: a header that could mean two (地址, 住址) is not listed.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": (
        "身份证号",
        "身份证号码",
        "身份证",
        "公民身份号码",
        "公民身份证号",
        "公民身份证号码",
        "居民身份证号码",
        "证件号码",
        "ID number",
        "ID no.",
    ),
    "name": ("居民姓名", "名字"),
    "birth_date": ("出生年月日", "生日", "date of birth"),
    "phone": (
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系方式",
        "移动电话",
        "mobile",
        "telephone",
    ),
    "grid": ("网格", "所属网格", "网格编号", "网格代码"),
    "building": ("楼栋", "楼号", "楼栋号"),
    "address": ("楼栋地址", "楼栋"),
    "unit": ("单元号",),
    "floor": ("层", "所在楼层"),
    "room": ("房号", "房间", "室号", "门牌号"),
    "relation_to_head": ("与户主的关系", "关系"),
    "tags": ("人员标签",),
    "medical_history": ("既往病史",),
    "status": ("状态",),
    "units": ("单元数量",),
    "floors": ("楼层数", "总层数"),
    "latitude": ("lat", "纬度坐标", "北纬"),
    "longitude": ("lon", "lng", "经度坐标", "东经"),
}

# A remark after the name, in parentheses ("联系电话（手机）", "身份证号（18位）"), and a star
# marking a required column, are not part of the name.
_REMARK = re.compile(r"\([^()]*\)$")


def header_key(text: str) -> str:
    """A header as headers are compared: cleaned (full-width parentheses, U+3000, line
    breaks), without case, spaces, a required-column star or a trailing colon."""
    return clean_text(text).lower().replace(" ", "").strip("*").rstrip(":")


def header_keys(text: str) -> tuple[str, ...]:
    """The spellings a header may be recognised by: as written, then without its remark."""
    key = header_key(text)
    bare = _REMARK.sub("", key)
    return (key, bare) if bare and bare != key else (key,)


def resource_column_names(resource_class: type[ModelResource]) -> dict[str, list[str]]:
    """Each column's header in every language the portal speaks, as the export writes it."""
    names: dict[str, list[str]] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            resource = resource_class()
            for key in resource_class._meta.fields:  # the export's columns, in its order
                names.setdefault(key, []).append(str(resource.fields[key].column_name))
    return names


def field_of_spelling(names: dict[str, list[str]]) -> dict[str, str]:
    """Every recognised spelling (as ``header_key`` makes it) -> its field key."""
    fields: dict[str, str] = {}
    for key, spellings in names.items():
        for spelling in (*HEADER_ALIASES.get(key, ()), *spellings):  # the export's own win
            fields[header_key(spelling)] = key
    return fields


@functools.cache
def known_header_keys() -> frozenset[str]:
    """Every spelling of every column of every import: what a header row is recognised by."""
    known: set[str] = set()
    for resource in (ResidentResource, HouseholdResource, BuildingResource):
        known.update(field_of_spelling(resource_column_names(resource)))
    return frozenset(known)


def recognised_count(cells: list) -> int:
    """How many cells of a row are headers some import knows."""
    known = known_header_keys()
    count = 0
    for cell in cells:
        if isinstance(cell, str) and cell.strip():
            count += any(key in known for key in header_keys(cell))
    return count
