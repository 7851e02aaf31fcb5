"""An event's photo, served only to those who see the event.

Photos are not public media: the file is read through this view, which answers 404 for a
photo of an event outside the reader's scope (as for one that does not exist), marks it as a
JPEG the browser must not sniff as anything else, and lets only the reader's browser keep it.
"""

from django.http import FileResponse, HttpRequest

from archives.photos import photo_response
from events.models import EventPhoto
from events.selectors import events_visible


def event_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = (
        EventPhoto.objects.filter(pk=pk, event__in=events_visible(request.user).values("pk"))
        .only("pk", "image")
        .first()
    )
    return photo_response(None if photo is None else photo.image, filename=f"event-photo-{pk}.jpg")
