"""The patrol data's design: its size, its map and its month; shared by building it and
measuring on it."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

SUFFIX = "_patrols"
MEMBERS = 2_000  # the default of --patrol-members
DAYS = 30
POINTS = 500
VISITS = 20
#: The month walked: fixed, so the data is reused whatever the day the benchmark runs.
YEAR, MONTH = 2026, 11
#: Points are 30 s apart: a round lasts 4 h 10 min.
EVERY_S = 30
#: A grid is a square of about a kilometre; its 20 buildings stand in 4 rows of 5, 222 m
#: (0.002°) between rows and 163 m (0.002° of longitude here) along them.
ORIGIN = (42.70, 129.30)
CELL = 0.01
ROWS, COLUMNS, STEP = 4, 5, 0.002
#: A round walks the rows in turn, 125 points each: 110 along the row, 15 up to the next.
ALONG, PER_ROW = 110, 125
#: Members per chunk of generated points (1.5 million points), each chunk one transaction.
CHUNK = 100
USERNAME_PREFIX = "pb-"
INGEST_USERNAME = "bench-ingest"
ADMIN_USERNAME = "bench-admin"
BATCH = 20
BATCHES = 500
OSMAND_REQUESTS = 2_000
#: Processes sending at once, as ``make serve``'s gunicorn workers take phones' batches at once.
INGEST_WORKERS = 3
RUNS = 3


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def patrol_month() -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(YEAR, MONTH, 1, tzinfo=zone())
    end = dt.datetime(YEAR + MONTH // 12, MONTH % 12 + 1, 1, tzinfo=zone())
    return start, end


def round_start(member_index: int, day: int) -> dt.datetime:
    """When member ``member_index`` starts walking on day ``day`` (0-based) of the month."""
    first = dt.datetime(YEAR, MONTH, 1, 8, 0, tzinfo=zone())
    return first + dt.timedelta(days=day, minutes=member_index % 60)


def point_passing(building: int) -> int:
    """The index of the round's point nearest building ``building`` (0–19, row by row)."""
    row, column = divmod(building, COLUMNS)
    along = round(column * (ALONG - 1) / (COLUMNS - 1))
    if row % 2:  # odd rows are walked westwards
        along = ALONG - 1 - along
    return row * PER_ROW + along


def building_position(grid: int, building: int) -> tuple[float, float]:
    lat0, lon0 = grid_origin(grid)
    row, column = divmod(building, COLUMNS)
    return lat0 + STEP * (row + 1), lon0 + STEP * (column + 1)


def grid_origin(grid: int) -> tuple[float, float]:
    return ORIGIN[0] + CELL * (grid // 50), ORIGIN[1] + CELL * 1.3 * (grid % 50)
