"""An event's photo, served only to those who see the event.

Photos are not public media: the file is read through this view, which answers 404 for a
photo of an event outside the reader's scope (as for one that does not exist), marks it as a
JPEG the browser must not sniff as anything else, and lets only the reader's browser keep it.
"""

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from events.models import EventPhoto
from events.selectors import events_visible

#: Photos never change once stored: the reader's browser may keep them for a day.
PHOTO_MAX_AGE = 24 * 3600


def event_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = (
        EventPhoto.objects.filter(pk=pk, event__in=events_visible(request.user).values("pk"))
        .only("pk", "image")
        .first()
    )
    if photo is None:
        raise Http404(_("No such photo in your area."))
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as missing:
        raise Http404(_("No such photo in your area.")) from missing
    # Stored photos are JPEGs the portal wrote itself (archives.photos).
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="event-photo-{photo.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    return response
