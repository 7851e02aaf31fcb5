"""Writes of patrol rounds: start, record points (from the phone page or a tracking app), end,
close the forgotten ones, purge old points, and the tracking apps' device tokens. One module a
concern; import them from here."""

from patrols.services.devices import (
    device_token_digest,
    tracking_device_issue,
    tracking_device_revoke,
)
from patrols.services.points import (
    CLOCK_SKEW,
    DEVICE_SEEN_EVERY,
    MAX_BATCH,
    DeviceRefused,
    PointsReceipt,
    RawPoint,
    Refusal,
    device_points_record,
    patrol_points_record,
)
from patrols.services.retention import patrol_points_purge
from patrols.services.rounds import (
    START_PERMISSION,
    patrol_end,
    patrol_start,
    patrols_close_stale,
)
from patrols.services.totals import LINE_TOLERANCE_M

__all__ = [
    "CLOCK_SKEW",
    "DEVICE_SEEN_EVERY",
    "LINE_TOLERANCE_M",
    "MAX_BATCH",
    "START_PERMISSION",
    "DeviceRefused",
    "PointsReceipt",
    "RawPoint",
    "Refusal",
    "device_points_record",
    "device_token_digest",
    "patrol_end",
    "patrol_points_purge",
    "patrol_points_record",
    "patrol_start",
    "patrols_close_stale",
    "tracking_device_issue",
    "tracking_device_revoke",
]
