"""A wish's photo (posted with it, or a claimer's evidence), served only to those who see the
wish.

Photos are not public media: the file is read through this view (a URL of ``WishAdmin``, behind
the admin's sign-in), which answers 404 for a photo of a wish outside the reader's sight (as for
one that does not exist), marks it as a JPEG the browser must not sniff as anything else, and
lets only the reader's browser keep it.
"""

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from wishes.models import WishPhoto
from wishes.selectors import wishes_visible

#: Photos never change once stored: the reader's browser may keep them for a day.
PHOTO_MAX_AGE = 24 * 3600


def wish_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = (
        WishPhoto.objects.filter(pk=pk, wish__in=wishes_visible(request.user).values("pk"))
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
    response["Content-Disposition"] = f'inline; filename="wish-photo-{photo.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    return response
