"""The grid member's round on the phone (巡查): one page to start and end a round, and the JSON
endpoint its script (``patrols/static/patrols/round.js``) sends the phone's positions to.

No model page: the portal's admin site adds these URLs (``urls``) and a "My round" entry at
the top of the index and the sidebar (``app_list_entry``) for those who may walk rounds. The
page calls ``patrols.services`` for every write; the position is read only while a round is open
and this page is open, never in the background, and the page says so.
"""

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite, site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.types import Actor
from archives import scope
from archives.admin.base import actor_of
from archives.models import Grid
from patrols import selectors, services
from patrols.models import Patrol

#: Names of this module's admin URLs (``admin:<name>``).
PAGE = "patrols_round"
POINTS = "patrols_round_points"


def urls(site: AdminSite) -> list[URLPattern]:
    """The page (behind the admin's sign-in) and the endpoint (which answers JSON, a 403 with
    its reason rather than the sign-in page, to a script whose session has ended)."""
    return [
        path("patrols/round/", site.admin_view(round_view), name=PAGE),
        path("patrols/round/points/", points_view, name=POINTS),
    ]


def may_walk(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(services.START_PERMISSION))


def app_list_entry(request: HttpRequest) -> dict[str, Any] | None:
    """The page as an entry of the index's and the sidebar's lists, for those who may walk."""
    if not may_walk(request.user):
        return None
    return {
        "name": _("My round"),
        "object_name": "Round",
        "perms": {"view": True},
        "admin_url": reverse(f"admin:{PAGE}"),
        "add_url": None,
        "view_only": True,  # the list shows "view", not "change"
    }


def grids_to_walk(user: Actor) -> QuerySet[Grid]:
    """The grids offered for a round: the same rule ``patrol_start`` checks."""
    return scope.grids_to_work_in(user, permission=services.START_PERMISSION)


def _round_admin_url(patrol: Patrol) -> str | None:
    """The round's own page, where the portal has one."""
    try:
        return reverse("admin:patrols_patrol_change", args=[patrol.pk])
    except NoReverseMatch:
        return None


@never_cache
def round_view(request: HttpRequest) -> HttpResponse:
    if not may_walk(request.user):
        raise PermissionDenied
    actor = actor_of(request)
    if request.method == "POST":
        return _act(request, actor)
    grids = list(grids_to_walk(actor).select_related("community").order_by("code"))
    patrol = selectors.patrol_open_of(actor)
    ended = None
    if patrol is None and request.GET.get("ended", "").isdigit():
        ended = Patrol.objects.filter(pk=int(request.GET["ended"]), member=actor).first()
    context = {
        **site.each_context(request),
        "title": _("My round"),
        "patrol": patrol,
        "ended": ended,
        "ended_url": _round_admin_url(ended) if ended else None,
        "ended_distance": distance_text(ended.distance_m) if ended else "",
        "ended_duration": duration_text(ended.duration_s or 0) if ended else "",
        "grids": grids,
        "retention_days": settings.PATROL_POINT_RETENTION_DAYS,
        "send_every_s": settings.PATROL_SEND_EVERY_SECONDS,
        "batch_size": SEND_AT,
        "points_url": reverse(f"admin:{POINTS}"),
        # For the script, which fills in the %(…)s.
        "text_send_failed": _(
            "Not sent yet (%(why)s): the points wait on this phone and are sent later."
        ),
        "text_refused": _("%(n)s points were refused by the portal and dropped."),
        "text_end_waiting": _(
            "%(n)s points could not be sent yet. Press “End round” again to end now; they are "
            "sent the next time this page is open with a network."
        ),
    }
    return TemplateResponse(request, "admin/patrols/round.html", context)


#: The script sends as soon as this many points wait (and every PATROL_SEND_EVERY_SECONDS).
SEND_AT = 20


def distance_text(metres: int) -> str:
    if metres < 1000:
        return _("%(m)s m") % {"m": metres}
    return _("%(km)s km") % {"km": formats.number_format(metres / 1000, 2)}


def duration_text(seconds: int) -> str:
    if seconds < 60:
        return _("%(s)s s") % {"s": seconds}
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours:
        return _("%(h)s h %(min)s min") % {"h": hours, "min": minutes}
    return _("%(min)s min") % {"min": minutes}


def _act(request: HttpRequest, actor: Actor) -> HttpResponse:
    page = reverse(f"admin:{PAGE}")
    action = request.POST.get("action")
    try:
        if action == "start":
            grid = grids_to_walk(actor).filter(pk=_int(request.POST.get("grid")) or 0).first()
            if grid is None:
                raise ValidationError(_("Choose one of your grids."))
            services.patrol_start(actor=actor, grid=grid)
            return HttpResponseRedirect(page)
        if action == "end":
            patrol = Patrol.objects.filter(pk=_int(request.POST.get("patrol")) or 0).first()
            if patrol is None:
                raise ValidationError(_("There is no such round."))
            patrol = services.patrol_end(patrol=patrol, actor=actor)
            return HttpResponseRedirect(f"{page}?ended={patrol.pk}")
    except (ValidationError, PermissionDenied) as refused:
        messages.error(request, " ".join(_messages(refused)))
    return HttpResponseRedirect(page)


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or _("You may not do this.")]


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


# The endpoint ----------------------------------------------------------------------------------


class Malformed(ValueError):
    pass


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@never_cache
@require_POST
def points_view(request: HttpRequest) -> HttpResponse:
    """``{"patrol": id, "points": [{"id", "t", "lat", "lon", "acc"}, …]}`` → what became of
    them. CSRF is checked by the middleware (the script sends the X-CSRFToken header)."""
    user = request.user
    if not user.is_authenticated:
        return _refuse(403, _("You are signed out: sign in again; the points wait on the phone."))
    if not may_walk(user):
        return _refuse(403, _("You may not record rounds."))
    try:
        patrol_id, points = _parsed(request.body)
    except Malformed as malformed:
        return _refuse(400, str(malformed))
    patrol = Patrol.objects.filter(pk=patrol_id).first()
    if patrol is None or patrol.member_id != user.pk:
        return _refuse(403, _("This round is not one of yours."))
    try:
        receipt = services.patrol_points_record(
            patrol=patrol, actor=actor_of(request), points=points
        )
    except PermissionDenied as refused:
        return _refuse(403, str(refused))
    except ValidationError as refused:
        return _refuse(400, " ".join(refused.messages))
    return JsonResponse(
        {
            "stored": receipt.stored,
            "duplicates": receipt.duplicates,
            "flagged": receipt.flagged,
            "refused": [{"index": r.index, "reason": r.reason} for r in receipt.refused],
        }
    )


def _parsed(body: bytes) -> tuple[int, list[services.RawPoint]]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed(_("The request is not JSON.")) from None
    if not isinstance(data, dict):
        raise Malformed(_("The request is not a JSON object."))
    patrol_id = _int(data.get("patrol"))
    if patrol_id is None:
        raise Malformed(_("The request names no round."))
    points = data.get("points")
    if not isinstance(points, list):
        raise Malformed(_("The request has no list of points."))
    if len(points) > services.MAX_BATCH:
        raise Malformed(_("At most %(n)s points at a time.") % {"n": services.MAX_BATCH})
    raw = []
    for point in points:
        point = point if isinstance(point, dict) else {}
        raw.append(
            services.RawPoint(
                client_id=point.get("id"),
                recorded_at=_time(point.get("t")),
                latitude=point.get("lat"),
                longitude=point.get("lon"),
                accuracy_m=point.get("acc"),
            )
        )
    return patrol_id, raw


def _time(value: object) -> object:
    """An aware datetime from milliseconds since 1970 or ISO 8601 text; anything else is passed
    on as it came, for the service to refuse with its reason."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is not None and timezone.is_aware(parsed):
            return parsed
    return None
