"""A wish's photo (posted with it, or a claimer's evidence), served only to those who see the
wish.

Photos are not public media: the file is read through this view (a URL of ``WishAdmin``, behind
the admin's sign-in), which answers 404 for a photo of a wish outside the reader's sight (as for
one that does not exist), marks it as a JPEG the browser must not sniff as anything else, and
lets only the reader's browser keep it.
"""

from django.http import FileResponse, HttpRequest

from archives.photos import photo_response
from wishes.models import WishPhoto
from wishes.selectors import wishes_visible


def wish_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = (
        WishPhoto.objects.filter(pk=pk, wish__in=wishes_visible(request.user).values("pk"))
        .only("pk", "image")
        .first()
    )
    return photo_response(None if photo is None else photo.image, filename=f"wish-photo-{pk}.jpg")
