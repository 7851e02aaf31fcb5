"""The chain's steps, one service each. Every step locks the event's row, asks
``events.selectors.event_action_refusal`` the same question the page asked, and on a yes
records the step (``EventStep``), moves the event's light and holder, starts the next stage's
time limit and writes the event's history with who and why. A refusal changes nothing."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import scope
from archives.model_meta import history_attribution_set
from archives.models import Building, Department, Grid, Household
from archives.photos import PreparedPhoto
from archives.photos import photos_prepare as photos_checked
from events.models import (
    LIGHT_STAGE,
    Event,
    EventCategory,
    EventPhoto,
    EventStep,
    Level,
    Light,
    Urgency,
)
from events.selectors import (
    NEEDS_TEXT,
    REPORT_PERMISSION,
    Action,
    event_action_refusal,
    event_visible,
    outside_scope,
)
from events.services.limits import stage_due_at


def photos_prepare(photos: Sequence[UploadedFile]) -> list[PreparedPhoto]:
    """The photos of one step, checked and re-encoded (``archives.photos.photos_prepare``)."""
    from django.conf import settings

    return photos_checked(photos, at_most=settings.EVENT_PHOTOS_PER_STEP)


def _photos_store(step: EventStep, photos: list[PreparedPhoto]) -> None:
    """Files are written at once, rows with the transaction: if one fails, the step's rows roll
    back and the files already written are removed with them, not left behind unlisted."""
    written: list[EventPhoto] = []
    try:
        for number, photo in enumerate(photos, start=1):
            row = EventPhoto(
                event=step.event,
                step=step,
                width=photo.width,
                height=photo.height,
                uploaded_at=step.at,
            )
            row.image.save(f"{step.pk}-{number}.jpg", ContentFile(photo.content), save=False)
            written.append(row)
            row.save()
    except BaseException:
        for row in written:
            row.image.delete(save=False)
        raise


def _locked(actor: Actor, event: Event, seen_version: int | None) -> Event:
    """``event`` read afresh and locked for the step. Whoever cannot see it is refused before
    being told someone else changed it (and what it is now)."""
    locked = (
        Event.objects.select_for_update(of=("self",))
        .select_related("category", "grid", "department")
        .get(pk=event.pk)
    )
    if not event_visible(actor, locked):
        raise PermissionDenied(outside_scope().message)
    if seen_version is not None and locked.version != seen_version:
        raise ValidationError(
            _(
                "Someone else acted on this event while you had it open (it is now %(light)s). "
                "Nothing was changed: look at it again."
            )
            % {"light": Light(locked.light).label}
        )
    return locked


def _refuse_unless_allowed(
    actor: Actor,
    event: Event,
    action: str,
    *,
    department: Department | None = None,
    at: dt.datetime,
) -> None:
    refusal = event_action_refusal(actor, event, action, department=department, now=at)
    if refusal is not None:
        raise (PermissionDenied if refusal.forbidden else ValidationError)(refusal.message)


#: The longest note or reason a step keeps, and the longest delay reason an event keeps.
NOTE_MAX_LENGTH = EventStep._meta.get_field("note").max_length or 2000
DELAY_REASON_MAX_LENGTH = Event._meta.get_field("delay_reason").max_length or 1000
DESCRIPTION_MAX_LENGTH = Event._meta.get_field("description").max_length or 2000


def _text_required(action: str, text: str, *, limit: int = NOTE_MAX_LENGTH) -> str:
    """``text`` stripped; refused when the step needs one and it is empty, or when it is longer
    than what is kept (PostgreSQL's text columns would keep it whole, SQLite's too)."""
    text = text.strip()
    if action in NEEDS_TEXT and not text:
        raise ValidationError(
            _("Write why.") if action != Action.HANDLE else _("Write what was done.")
        )
    if len(text) > limit:
        raise ValidationError(
            _("Write at most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(text)}
        )
    return text


def _coordinate(value: float | Decimal | None) -> Decimal | None:
    """A phone's coordinate (a float with a dozen decimals) as the column keeps it: six
    decimals, about ten centimetres. Unrounded, the model's validation refused the report."""
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The position is not a valid latitude and longitude.")) from None


def _step(
    event: Event,
    *,
    actor: Actor,
    action: str,
    at: dt.datetime,
    note: str = "",
    light: str | None = None,
    level: str | None = None,
    department: Department | None = None,
    photos: list[PreparedPhoto] | None = None,
) -> EventStep:
    """Record ``action`` and move ``event`` to ``light`` held by ``level`` (unchanged where
    None). A new light starts a new stage with its limit; the stage before ends now."""
    new_stage = light is not None and (light != event.light or level != event.level)
    if light is not None:
        event.light = light
    if level is not None:
        event.level = level
        if level == Level.DEPARTMENT and department is not None:
            event.department = department
    step_department = department or (event.department if event.level == Level.DEPARTMENT else None)
    due = None
    if new_stage or action == Action.REPORT:
        if event.pk is not None:
            EventStep.objects.filter(
                event=event, stage_due_at__isnull=False, stage_ended_at__isnull=True
            ).update(stage_ended_at=at)
        stage = LIGHT_STAGE.get(Light(event.light))
        due = stage_due_at(event, stage, at) if stage else None
        event.stage_started_at = at
        event.stage_due_at = due
        event.delay_reason = ""
    event.version += 1
    label = str(Action(action).label)
    history_attribution_set(event, actor=actor, reason=f"{label}: {note}" if note else label)
    event.save()
    step = EventStep.objects.create(
        event=event,
        action=action,
        actor=actor,
        at=at,
        note=note,
        light=event.light,
        level=event.level,
        department=step_department,
        stage_due_at=due,
    )
    if photos:
        _photos_store(step, photos)
    return step


@transaction.atomic
def event_report(
    *,
    actor: Actor,
    category: EventCategory,
    description: str,
    grid: Grid,
    urgency: str = Urgency.NORMAL,
    building: Building | None = None,
    household: Household | None = None,
    latitude: float | Decimal | None = None,
    longitude: float | Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
    at: dt.datetime | None = None,
) -> Event:
    """A grid member or the community reports an event in one of their grids: red, held by the
    grid's community."""
    if not scope.may_work_in(actor, grid, permission=REPORT_PERMISSION):
        raise PermissionDenied(_("You may not report events in this grid."))
    if not category.active:
        raise ValidationError(
            _("The category “%(name)s” is no longer in use.") % {"name": category}
        )
    if household is not None and building is None:
        building = household.building
    if building is not None and building.grid_id != grid.pk:
        raise ValidationError(_("The building is not in the grid %(grid)s.") % {"grid": grid})
    if household is not None and household.building_id != building.pk:  # type: ignore[union-attr]
        raise ValidationError(_("The household does not live in that building."))
    description = description.strip()
    if not description:
        raise ValidationError(_("Describe the event."))
    # A TextField's max_length is a form's: the model's validation does not check it.
    description = _text_required(Action.REPORT, description, limit=DESCRIPTION_MAX_LENGTH)
    if (latitude is None) != (longitude is None):
        raise ValidationError(_("A position needs both its latitude and its longitude."))
    prepared = photos_prepare(photos)
    at = at or timezone.now()
    event = Event(
        category=category,
        description=description,
        urgency=urgency,
        grid=grid,
        community_id=grid.community_id,
        street_id=grid.community.street_id,
        building=building,
        household=household,
        latitude=_coordinate(latitude),
        longitude=_coordinate(longitude),
        reporter=actor,
        reported_at=at,
        light=Light.RED,
        level=Level.COMMUNITY,
        stage_started_at=at,
    )
    event.full_clean(exclude=["stage_due_at"])
    _step(event, actor=actor, action=Action.REPORT, at=at, note=description, photos=prepared)
    return event


@transaction.atomic
def event_accept(
    *, actor: Actor, event: Event, seen_version: int | None = None, at: dt.datetime | None = None
) -> Event:
    """Whoever holds a red event (community, street, department) accepts it: yellow."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.ACCEPT, at=at)
    _step(event, actor=actor, action=Action.ACCEPT, at=at, light=Light.YELLOW, level=event.level)
    return event


@transaction.atomic
def event_pass_up(
    *,
    actor: Actor,
    event: Event,
    note: str = "",
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """The community cannot solve it: the street holds it, red."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.PASS_UP, at=at)
    note = _text_required(Action.PASS_UP, note)
    _step(
        event,
        actor=actor,
        action=Action.PASS_UP,
        at=at,
        note=note,
        light=Light.RED,
        level=Level.STREET,
    )
    return event


@transaction.atomic
def event_transfer(
    *,
    actor: Actor,
    event: Event,
    department: Department,
    note: str = "",
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """The street (or a community, where allowed) transfers it to a department in charge of
    its category: red, held by the department."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.TRANSFER, department=department, at=at)
    note = _text_required(Action.TRANSFER, note)
    event.transferred_by = event.level
    _step(
        event,
        actor=actor,
        action=Action.TRANSFER,
        at=at,
        note=note,
        light=Light.RED,
        level=Level.DEPARTMENT,
        department=department,
    )
    return event


@transaction.atomic
def event_return(
    *,
    actor: Actor,
    event: Event,
    reason: str,
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """The department returns it, with a reason, to whoever transferred it: red again there."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.RETURN, at=at)
    reason = _text_required(Action.RETURN, reason)
    returning = event.department
    event.returns += 1
    back_to = event.transferred_by or Level.STREET
    event.department = None
    _step(
        event,
        actor=actor,
        action=Action.RETURN,
        at=at,
        note=reason,
        light=Light.RED,
        level=back_to,
        department=returning,
    )
    return event


@transaction.atomic
def event_handle(
    *,
    actor: Actor,
    event: Event,
    note: str,
    photos: Sequence[UploadedFile] = (),
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Whoever handles it says it is done, with a note and photos as evidence: blue, for the
    reporting community to evaluate."""
    at = at or timezone.now()
    prepared = photos_prepare(photos)
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.HANDLE, at=at)
    note = _text_required(Action.HANDLE, note)
    event.handled_at = at
    _step(
        event,
        actor=actor,
        action=Action.HANDLE,
        at=at,
        note=note,
        light=Light.BLUE,
        level=event.level,
        photos=prepared,
    )
    return event


@transaction.atomic
def event_confirm(
    *,
    actor: Actor,
    event: Event,
    note: str = "",
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """The reporting community finds it resolved: green, closed."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.CONFIRM, at=at)
    note = _text_required(Action.CONFIRM, note)
    event.closed_at = at
    _step(
        event,
        actor=actor,
        action=Action.CONFIRM,
        at=at,
        note=note,
        light=Light.GREEN,
        level=event.level,
    )
    return event


@transaction.atomic
def event_send_back(
    *,
    actor: Actor,
    event: Event,
    reason: str,
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """The reporting community finds it unresolved: back to its handler, yellow, with why."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.SEND_BACK, at=at)
    reason = _text_required(Action.SEND_BACK, reason)
    event.send_backs += 1
    event.handled_at = None
    _step(
        event,
        actor=actor,
        action=Action.SEND_BACK,
        at=at,
        note=reason,
        light=Light.YELLOW,
        level=event.level,
        department=event.department,
    )
    return event


@transaction.atomic
def event_delay_explain(
    *,
    actor: Actor,
    event: Event,
    reason: str,
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Whoever holds it records why the current stage runs late; it is then not escalated."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.EXPLAIN_DELAY, at=at)
    reason = _text_required(Action.EXPLAIN_DELAY, reason, limit=DELAY_REASON_MAX_LENGTH)
    event.delay_reason = reason
    _step(event, actor=actor, action=Action.EXPLAIN_DELAY, at=at, note=reason)
    return event


@transaction.atomic
def event_escalate(
    *,
    actor: Actor,
    event: Event,
    reason: str,
    seen_version: int | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """An event over its limit without a recorded reason goes to the city's inspection office,
    which follows it from then on; its light and holder stay."""
    at = at or timezone.now()
    event = _locked(actor, event, seen_version)
    _refuse_unless_allowed(actor, event, Action.ESCALATE, at=at)
    reason = _text_required(Action.ESCALATE, reason)
    event.escalated_at = at
    _step(event, actor=actor, action=Action.ESCALATE, at=at, note=reason)
    return event
