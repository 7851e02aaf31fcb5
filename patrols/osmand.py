"""The endpoint of the tracking apps: Traccar Client (every version) and OsmAnd send one position
per request, with nothing but their device identifier, which is the token an administrator
issued (``patrols.admin.devices``).

Two shapes arrive at the same URL:

- **query or form parameters** (OsmAnd, Traccar Client before 9.0), by GET or POST:
  ``id`` (or ``deviceid``), ``lat`` and ``lon`` (or ``location=lat,lon``), ``timestamp``
  (Unix seconds, milliseconds, or ISO text), ``accuracy`` (metres); the others they send
  (``speed``, ``bearing``, ``batt``, …) are ignored;
- **a JSON body** (Traccar Client 9.0 and later): ``device_id`` and ``location`` with
  ``timestamp`` (ISO) and ``coords.latitude``/``longitude``/``accuracy``.

The token is a secret: it is never logged or echoed here (the request's path, not its query
string, is what Django logs; ``make serve`` logs no query strings either, see README,
"Production").
"""

import datetime as dt
import json
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from patrols.services import DeviceRefused, RawPoint, device_points_record

#: One position is a few hundred bytes; anything much larger is not a tracking app.
MAX_REQUEST_BYTES = 4096
#: Issued tokens are 32 characters; a longer identifier is no token of ours.
MAX_TOKEN_LENGTH = 128
#: Traccar's rule for a numeric time: below this it counts seconds, from it milliseconds.
_MILLISECONDS_FROM = 2**31 - 1


class Malformed(Exception):
    """What a request lacks or gets wrong, said to the sender (400)."""


def _text(message: str, status: int = 200) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # an app has no session and so no CSRF cookie; the token is its credential
@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("id", "deviceid")
@sensitive_variables("token", "params", "data")
def osmand_position(request: HttpRequest) -> HttpResponse:
    """Store one position from a tracking app for the member its token was issued to, in the
    round that was open at the position's time (an offline phone sends late and out of order).

    Answers, as plain text:

    - **200 "OK"**: stored (flagged as implausible or not), or already stored (a resend after
      a lost answer: the point's identifier is its time in milliseconds, so the same position
      is the same point).
    - **200 "Not kept: …"**: a well-formed position that has no round to go to (none was open
      at its time, or that round's points were deleted after the retention period). This is
      deliberately *not* an error status: the apps resend anything else forever, and
      resending cannot make a round appear; tracking outside rounds is simply not kept.
    - **400** with the reason: the request is malformed (no identifier, no or an unreadable
      time, a latitude off the globe, …). Nothing is stored.
    - **403** with the reason: the token is unknown or revoked. Nothing is stored.
    - **413**: larger than a position ever is.
    """
    if _size(request) > MAX_REQUEST_BYTES:
        return _text(_("Too large for one position."), status=413)
    try:
        token, point = _position(request)
    except Malformed as error:
        return _text(str(error), status=400)
    try:
        receipt = device_points_record(token=token, points=[point])
    except DeviceRefused as error:
        return _text(" ".join(_messages(error)), status=403)
    except ValidationError as error:
        return _text(" ".join(error.messages), status=400)
    for refusal in receipt.refused:
        if refusal.malformed:
            return _text(refusal.reason, status=400)
        return _text(_("Not kept: %(reason)s.") % {"reason": refusal.reason})
    return _text("OK")


def _messages(error: Exception) -> list[str]:
    return [str(arg) for arg in error.args] or [_("This device may not send positions.")]


def _size(request: HttpRequest) -> int:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return max(declared, len(request.META.get("QUERY_STRING", "")))


def _is_json(request: HttpRequest) -> bool:
    if request.method != "POST":
        return False
    if (request.content_type or "").endswith("json"):
        return True
    return request.body.lstrip()[:1] == b"{"


@sensitive_variables("token", "params", "data")
def _position(request: HttpRequest) -> tuple[str, RawPoint]:
    """The token and the point a request carries, or ``Malformed`` saying what is wrong."""
    if len(request.body) > MAX_REQUEST_BYTES:  # sent without a length, in chunks
        raise Malformed(_("Too large for one position."))
    if _is_json(request):
        return _from_json(request.body)
    params = request.POST if request.method == "POST" else request.GET

    def param(name: str) -> str | None:
        return params.get(name) or request.GET.get(name)

    token = param("id") or param("deviceid")
    latitude, longitude = param("lat"), param("lon")
    if latitude is None and longitude is None and (location := param("location")):
        latitude, _comma, longitude = location.partition(",")  # "lat,lon", Traccar's variant
    return _point(
        token=token,
        timestamp=param("timestamp"),
        latitude=latitude,
        longitude=longitude,
        accuracy=param("accuracy"),
    )


@sensitive_variables("token", "data")
def _from_json(body: bytes) -> tuple[str, RawPoint]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise Malformed(_("The body is not a JSON object."))
    location = data.get("location")
    if isinstance(location, list):
        raise Malformed(_("One position per request, please."))
    if not isinstance(location, dict):
        raise Malformed(_("No location in the body."))
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise Malformed(_("No coordinates in the location."))
    token = data.get("device_id")
    return _point(
        token=str(token) if isinstance(token, str | int) else None,
        timestamp=location.get("timestamp"),
        latitude=coords.get("latitude"),
        longitude=coords.get("longitude"),
        accuracy=coords.get("accuracy"),
    )


@sensitive_variables("token")
def _point(
    *, token: str | None, timestamp: Any, latitude: Any, longitude: Any, accuracy: Any
) -> tuple[str, RawPoint]:
    token = (token or "").strip()
    if not token:
        raise Malformed(_("No device identifier (id)."))
    if len(token) > MAX_TOKEN_LENGTH:
        raise Malformed(_("The device identifier is too long."))
    recorded_at = _time(timestamp)
    # The latitude, longitude and accuracy are checked by the service, with its reasons.
    return token, RawPoint(
        client_id=_milliseconds(recorded_at),
        recorded_at=recorded_at,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy,
    )


def _time(value: Any) -> dt.datetime:
    """An aware time from Unix seconds or milliseconds (a number or its text) or ISO text; ISO
    text without a zone is UTC, as Traccar reads it."""
    if value is None or value == "":
        raise Malformed(_("No time (timestamp)."))
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Malformed(_("The time (timestamp) cannot be read."))
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number):
            raise Malformed(_("The time (timestamp) cannot be read."))
        seconds = number / 1000 if abs(number) >= _MILLISECONDS_FROM else number
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise Malformed(_("The time (timestamp) cannot be read.")) from None
    try:
        parsed = parse_datetime(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise Malformed(_("The time (timestamp) cannot be read."))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _milliseconds(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)
