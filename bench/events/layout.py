"""The events data's design: its size, its months and its people; shared by building it and
measuring on it."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

SUFFIX = "_events"
EVENTS = 100_000  # the default of --events
GRIDS = 2_000
GRIDS_PER_COMMUNITY = 10
COMMUNITIES_PER_STREET = 10
#: Events reported from the first of ``FIRST_MONTH`` to the end of ``LAST_MONTH`` (fixed, so
#: the data is reused whatever the day the benchmark runs); the figures are ``LAST_MONTH``'s.
YEAR, FIRST_MONTH, LAST_MONTH = 2026, 8, 11
#: Events per chunk written in one transaction.
CHUNK = 10_000
USERNAME_PREFIX = "eb-"
#: Departments in charge of the categories (code, name, categories), and the inspection office.
DEPARTMENTS = [
    ("urban", "城市管理局", ["rubbish", "building", "sanitation"]),
    ("housing", "住房和城乡建设局", ["manhole", "building"]),
    ("agriculture", "农业农村局", ["carcass"]),
    ("transport", "交通运输局", ["road", "manhole"]),
    ("ecology", "生态环境局", ["sanitation", "rubbish"]),
]
INSPECTION = ("inspection", "市督查室")
CATEGORIES = [
    ("rubbish", "建筑垃圾"),
    ("manhole", "井盖缺失"),
    ("carcass", "动物尸体"),
    ("building", "违章搭建"),
    ("sanitation", "环境卫生"),
    ("road", "道路破损"),
]
#: The accounts each list is timed as (username suffix, what); see ``data._accounts``.
ROLE_ACCOUNTS = [
    ("admin", "administrator"),
    ("city", "municipal official"),
    ("street", "street official"),
    ("department", "department staff (城市管理局)"),
    ("community", "community staff"),
    ("member", "grid member"),
]
REQUESTS = 30
FIGURE_RUNS = 3


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def window() -> tuple[dt.datetime, dt.datetime]:
    """The events' reporting window: the first instant of ``FIRST_MONTH`` to the first of the
    month after ``LAST_MONTH``."""
    start = dt.datetime(YEAR, FIRST_MONTH, 1, tzinfo=zone())
    end = dt.datetime(YEAR + LAST_MONTH // 12, LAST_MONTH % 12 + 1, 1, tzinfo=zone())
    return start, end


def figures_month() -> dt.date:
    return dt.date(YEAR, LAST_MONTH, 1)


def account_username(role: str) -> str:
    """The account a list is timed as: the first street's official, the first community's
    staff, the first grid's member, the urban management department's staff."""
    first = {"street": "street-000", "community": "community-0000", "member": "member-0000"}
    return USERNAME_PREFIX + first.get(role, "department-urban" if role == "department" else role)
